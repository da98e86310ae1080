module.exports = require('./grpc.cjs').lazy('@grpc/grpc-js');
