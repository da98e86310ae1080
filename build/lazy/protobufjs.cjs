// Bundled in place of protobufjs, which only dockerode's BuildKit status decoding uses (rundock never builds): the
// real module loads on first property access.
module.exports = require('./grpc.cjs').lazy('protobufjs');
