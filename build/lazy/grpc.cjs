// @grpc/grpc-js, from dist/etcd.cjs on first use (etcd-part.cjs). Only the names rundock's sources use.
module.exports = require('./etcd-part.cjs')('grpc', ['InterceptingCall', 'ListenerBuilder', 'status']);
