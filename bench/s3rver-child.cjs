/* s3rver (behind the multipart-list shim) in its own process, so the upload benchmark measures fsrecd's memory, not the server's. */
const S3rver = require('s3rver');
const { startShim } = require('../test/helpers/multipart-list-shim.cjs');

const directory = process.argv[2];
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'bench', configs: [] }] });
server
  .run()
  .then(({ port }) => startShim(port))
  .then((shim) => process.send({ port: shim.address().port }));
