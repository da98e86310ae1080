// esbuild plugins for build/bundle.mjs: what bundled packages would read beside their own sources, and what rundock
// never runs of them.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

/**
 * etcd3 loads its gRPC definitions from `${__dirname}/../proto/rpc.proto` (with kv.proto and auth.proto) when it
 * loads. The bundle carries them instead, parsed at build time into protobufjs's JSON descriptor (with the option
 * etcd3 parses with, keepCase), and etcd3 builds its package definition from that with @grpc/proto-loader's fromJSON:
 * no file beside the bundle to read, which a single executable could not.
 */
/** @type {import('esbuild').Plugin} */
export const etcd3ProtoDescriptor = {
  name: 'etcd3-proto-descriptor',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = '(0, proto_loader_1.loadSync)(`${__dirname}/../proto/rpc.proto`, {';
      if (!source.includes(from)) throw new Error(`etcd3 changed: ${args.path} no longer loads its protos as ${from}`);
      const descriptor = JSON.stringify(etcd3Descriptor(join(dirname(args.path), '..', 'proto', 'rpc.proto')));
      return { contents: source.replace(from, `(0, proto_loader_1.fromJSON)(${descriptor}, {`), loader: 'js' };
    });
  },
};

/** The JSON descriptor of a .proto file and its imports, parsed as @grpc/proto-loader's loadSync parses them. */
export function etcd3Descriptor(rpcProto) {
  return new protobuf.Root().loadSync(rpcProto, { keepCase: true }).toJSON();
}

/**
 * dockerode's BuildKit support (session: gRPC; build status: protobufjs and its own .proto files) and its build
 * context packing (tar-fs, @balena/dockerignore) are only reached by image builds, which rundock never does. Their
 * imports resolve to a stand-in that says so if anything ever reaches it, which also keeps them out of the code every
 * command loads (docs/BENCHMARKS.md, "CLI start"). etcd3's imports stay the real ones.
 */
/** @type {import('esbuild').Plugin} */
export const dockerodeBuildKitStub = {
  name: 'dockerode-buildkit-stub',
  setup(build) {
    build.onResolve(
      { filter: /^(@grpc\/grpc-js|@grpc\/proto-loader|protobufjs|tar-fs|@balena\/dockerignore)$/ },
      (args) =>
        /[\\/]node_modules[\\/]dockerode[\\/]/.test(args.importer)
          ? { path: args.path, namespace: 'buildkit-stub' }
          : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'buildkit-stub' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get(_target, key) {
        if (typeof key === 'symbol' || key === '__esModule') return undefined;
        throw new Error(${JSON.stringify(`${args.path} is not in rundock's bundle: rundock never builds images`)});
      } });`,
      loader: 'js',
    }));
  },
};

/**
 * docker-modem takes its Duplex stream (for hijacked exec and attach connections) from readable-stream, a copy of
 * Node's own stream module for old Node versions; Node's own is the same API. Its import resolves to Node's, which
 * keeps 90 KB out of the code every command loads.
 */
/** @type {import('esbuild').Plugin} */
export const nodeStreams = {
  name: 'node-streams',
  setup(build) {
    build.onResolve({ filter: /^readable-stream$/ }, (args) =>
      /[\\/]node_modules[\\/]docker-modem[\\/]/.test(args.importer)
        ? { path: 'node:stream', external: true }
        : undefined,
    );
  },
};

/**
 * Packages that load modules when they load which rundock's commands seldom or never use: docker-modem and dockerode
 * load node:https (with TLS), node:zlib and `debug` (which loads node:tty), though a local socket needs none of them;
 * commander loads node:child_process (with net and dgram) for executable subcommands, which rundock has none of.
 * Together about 15 ms of every command's start (docs/BENCHMARKS.md, CLI start-up): a compile cache does not help
 * here, Node's own modules come compiled already, it is their set-up (TLS's above all) that costs. Their `require` of these
 * resolves to a stand-in that loads the real module when a property is first read (docker-modem reads https's
 * `request` through a prototype): the same module, later. `debug` loads only when DEBUG is set; otherwise its
 * loggers do nothing, as debug's own do then.
 */
const LAZY_MODULES = [
  { importer: /[\\/]node_modules[\\/](docker-modem|dockerode)[\\/]/, modules: ['https', 'zlib', 'debug'] },
  { importer: /[\\/]node_modules[\\/]commander[\\/]/, modules: ['node:child_process'] },
];

/** @type {import('esbuild').Plugin} */
export const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    const names = LAZY_MODULES.flatMap((l) => l.modules);
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) =>
      LAZY_MODULES.some((l) => l.importer.test(args.importer) && l.modules.includes(args.path))
        ? { path: args.path, namespace: 'lazy-module' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => ({
      contents:
        args.path === 'debug'
          ? `const noop = Object.assign(() => undefined, { enabled: false, extend: () => noop });
             module.exports = process.env.DEBUG ? require('debug') : () => noop;`
          : `module.exports = new Proxy({}, { get: (_target, key) => require('node:${args.path.replace(/^node:/, '')}')[key] });`,
      loader: 'js',
      resolveDir: build.initialOptions.absWorkingDir ?? process.cwd(),
    }));
  },
};

/**
 * docker-modem loads ssh2 when it loads (for an ssh:// DOCKER_HOST), and ssh2 checks which ciphers Node's crypto
 * offers when it loads, signing with test keys: about 20 ms of every command's start. docker-modem's import of it
 * resolves to a stand-in whose Client (all docker-modem uses) loads the real ssh2, bundled beside it, when one is made.
 */
/** @type {import('esbuild').Plugin} */
export const lazySsh2 = {
  name: 'lazy-ssh2',
  setup(build) {
    build.onResolve({ filter: /^ssh2$/ }, (args) =>
      /[\\/]node_modules[\\/]docker-modem[\\/]/.test(args.importer)
        ? { path: 'ssh2', namespace: 'lazy-ssh2' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-ssh2' }, () => ({
      contents: `class Client {
        constructor(...args) {
          const Real = require('ssh2').Client;
          return new Real(...args);
        }
      }
      module.exports = { Client };`,
      loader: 'js',
      resolveDir: build.initialOptions.absWorkingDir ?? process.cwd(),
    }));
  },
};

/**
 * docker-modem formats every request's options with util.inspect (showHidden, unlimited depth) for its debug log, and
 * does so when the log is off too: a few milliseconds of every command that talks to Docker. The call is made only
 * when the log is on (DEBUG=modem), as debug's own `enabled` says.
 */
/** @type {import('esbuild').Plugin} */
export const dockerModemDebugOff = {
  name: 'docker-modem-debug-off',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]docker-modem[\\/]lib[\\/]modem\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = "debug('Sending: %s', util.inspect(options, {";
      if (!source.includes(from)) throw new Error(`docker-modem changed: ${args.path} no longer logs ${from}`);
      return { contents: source.replace(from, `debug.enabled && ${from}`), loader: 'js' };
    });
  },
};
