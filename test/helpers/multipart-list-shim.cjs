/*
 * s3rver stores multipart uploads (initiate, upload part, complete) but answers ListMultipartUploads
 * (GET /<bucket>?uploads) with NotImplemented, and minio-js asks that before every multipart upload.
 * This pass-through proxy answers that one call with an empty list and forwards every other request,
 * byte for byte and with its Host header, so signatures and data still go to the real server.
 * Plain CommonJS: used by the tests and by the benchmark's server process.
 */
const http = require('node:http');
const { URL } = require('node:url');

const EMPTY = (bucket) =>
  '<?xml version="1.0" encoding="UTF-8"?>' +
  `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket>` +
  '<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>' +
  '<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>';

function startShim(targetPort) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST' && url.searchParams.has('uploads')) server.multipartUploads += 1;
    if (req.method === 'GET' && url.searchParams.has('uploads')) {
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(EMPTY(url.pathname.split('/')[1] || ''));
      req.resume();
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode || 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  /** Multipart uploads initiated through the shim: lets tests see that the multipart path ran. */
  server.multipartUploads = 0;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

module.exports = { startShim };
