// etcd3, from dist/etcd.cjs on first use (etcd-part.cjs). Only the names rundock's sources import.
module.exports = require('./etcd-part.cjs')('etcd3', ['Etcd3', 'EtcdLeaseInvalidError', 'Lease']);
