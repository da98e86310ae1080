// esbuild plugins for build/bundle.mjs: the two places where a bundled package reads files beside its own sources.
import { readFile } from 'node:fs/promises';

/**
 * etcd3 loads its gRPC definitions from `${__dirname}/../proto/rpc.proto`. In the bundle they are in
 * dist/proto/etcd3/, and the bundle itself sits in dist/, so the path is taken from the bundle's own `__dirname`.
 */
/** @type {import('esbuild').Plugin} */
export const etcd3ProtoPath = {
  name: 'etcd3-proto-path',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const from = '`${__dirname}/../proto/rpc.proto`';
      if (!source.includes(from)) throw new Error(`etcd3 changed: ${args.path} no longer loads ${from}`);
      const to = "require('node:path').join(__dirname, 'proto', 'etcd3', 'rpc.proto')";
      return { contents: source.replace(from, to), loader: 'js' };
    });
  },
};

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
 * Node's own stream module for old Node versions; Node 20's is the same API. Its import resolves to Node's, which
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
 * Together about 15 ms of every command's start (docs/BENCHMARKS.md, CLI start-up). Their `require` of these
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
