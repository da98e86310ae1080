// Bundled in place of ssh2, which only an ssh:// DOCKER_HOST needs: the real module loads when a Client is made.
const load = (name) => require(name);
class Client {
  constructor(...args) {
    const Real = load('ssh2').Client;
    return new Real(...args);
  }
}
module.exports = { Client };
