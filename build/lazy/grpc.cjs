// Bundled in place of @grpc/grpc-js and @grpc/proto-loader, which only dockerode's BuildKit sessions use (rundock
// never builds): the real module loads on first property access.
const load = (name) => require(name);
const lazy = (name) => new Proxy({}, { get: (_target, key) => load(name)[key] });
module.exports = { lazy };
