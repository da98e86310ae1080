module.exports = require('./grpc.cjs').lazy('@grpc/proto-loader');
