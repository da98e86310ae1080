// Bundled in place of ssh2, which only an ssh:// DOCKER_HOST needs: dist/ssh2.cjs (ssh2 bundled on its own by
// build/bundle.mjs) loads when a Client is made. The name is in a variable so the bundler leaves the require alone;
// `require` is the bundle's own, relative to dist/.
const file = './ssh2.cjs';
class Client {
  constructor(...args) {
    const Real = require(file).Client;
    return new Real(...args);
  }
}
module.exports = { Client };
