// The entry of dist/etcd.cjs: the etcd3 client and the gRPC library it runs on (with protobufjs, about 800 KB),
// bundled on their own so that commands which never talk to etcd never read them. One bundle for both, so that
// rundock's own gRPC interceptors (src/registry/etcd-abandon.ts) and etcd3 share one copy of @grpc/grpc-js.
module.exports = { etcd3: require('etcd3'), grpc: require('@grpc/grpc-js') };
