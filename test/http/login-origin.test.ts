/** Which /login requests may log in: JSON from this listener's own page only. */
import t from 'tap';
import type { IncomingHttpHeaders } from 'node:http';
import { loginRequestProblem } from '../../src/http/login-origin';

const HOST = '127.0.0.1:9380';
const json = (extra: IncomingHttpHeaders): IncomingHttpHeaders => ({ host: HOST, 'content-type': 'application/json', ...extra });

t.test('same-origin JSON is accepted', async (t) => {
  t.equal(loginRequestProblem(json({ origin: `http://${HOST}` })), undefined, 'Origin of this listener');
  t.equal(loginRequestProblem(json({ 'content-type': 'application/json; charset=utf-8', origin: `http://${HOST}` })), undefined, 'with a charset');
  t.equal(loginRequestProblem(json({ origin: 'https://rec.example.com', host: '127.0.0.1:9380', 'x-forwarded-host': 'rec.example.com' })), undefined, 'behind a TLS proxy that forwards the host');
  t.equal(loginRequestProblem(json({ origin: 'https://rec.example.com', host: 'rec.example.com' })), undefined, 'behind a proxy that keeps Host');
  t.equal(loginRequestProblem(json({ 'sec-fetch-site': 'same-origin' })), undefined, 'no Origin: Sec-Fetch-Site');
  t.equal(loginRequestProblem(json({ referer: `http://${HOST}/` })), undefined, 'no Origin nor Sec-Fetch-Site: Referer');
});

t.test('forms and other sites are refused, saying why', async (t) => {
  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
    t.match(loginRequestProblem(json({ 'content-type': type, origin: `http://${HOST}` })), /login takes a JSON body \(Content-Type: application\/json\), not /, type);
  }
  t.match(loginRequestProblem({ host: HOST, origin: `http://${HOST}` }), /not a body without a Content-Type/);
  t.match(loginRequestProblem(json({ origin: 'https://evil.example' })), /only accepted from this listener's own page, not from origin https:\/\/evil.example/);
  t.match(loginRequestProblem(json({ origin: `http://${HOST}.evil.example` })), /not from origin/, 'a look-alike host');
  t.match(loginRequestProblem(json({ origin: 'http://127.0.0.1:9381' })), /not from origin/, 'another port is another origin');
  t.match(loginRequestProblem(json({ origin: 'null' })), /not from origin null/, 'an opaque origin');
  t.match(loginRequestProblem(json({ 'sec-fetch-site': 'cross-site' })), /Sec-Fetch-Site: cross-site/);
  t.match(loginRequestProblem(json({ 'sec-fetch-site': 'same-site' })), /Sec-Fetch-Site: same-site/, 'a sibling subdomain is another site\'s page');
  t.match(loginRequestProblem(json({ referer: 'https://evil.example/x' })), /not from another site/);
  t.match(loginRequestProblem(json({})), /login is for the web page .*API clients send Authorization/, 'no provenance at all: an API client, pointed elsewhere');
});
