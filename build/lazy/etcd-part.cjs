// Bundled in place of etcd3 and of @grpc/grpc-js (build/bundle.mjs): each is a part of dist/etcd.cjs, loaded on
// first use. Every name rundock uses is a getter, so the bundler's import interop copies getters, and the first one
// read loads the file. The name is in a variable so the bundler leaves the require alone; `require` is the bundle's
// own, relative to dist/.
const file = './etcd.cjs';

/** The exports of `part` ('etcd3' or 'grpc') with `names` loaded on first read. */
module.exports = function lazyPart(part, names) {
  const exports = {};
  for (const name of names) {
    Object.defineProperty(exports, name, { enumerable: true, get: () => require(file)[part][name] });
  }
  return exports;
};
