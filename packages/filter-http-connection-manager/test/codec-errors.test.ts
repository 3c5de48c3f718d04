// What the connection manager answers to HTTP/1.1 requests its codec refuses, as Envoy's codec
// does (each expectation here is also Envoy 1.40's, checked by the conformance suite's
// malformed-input differential): the status, one answer only, the connection closed after it,
// nothing forwarded; and the answers owed before the bad bytes still given.
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, collect, connectTo, httpConnectionManager, startHttpUpstream, startInProcess, tcpListener, type InProcessNodevoy, type TestLike } from '@nodevoy/test-kit';

function config(upstreamPort: number, hcmExtra = ''): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ extra: hcmExtra, routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n') }))}  clusters:
${cluster('backend', [{ port: upstreamPort }])}`;
}

/** Sends raw bytes and reads to the end: the status lines received and how the connection ended. */
async function exchange(t: TestLike, proxy: InProcessNodevoy, bytes: string, halfClose = false) {
  const socket = await connectTo(t, proxy.port('http'));
  const received = collect(socket);
  socket.write(Buffer.from(bytes, 'latin1'));
  if (halfClose) socket.end();
  const { data, end } = await received;
  const text = data.toString('latin1');
  return { statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), end, text };
}

const REFUSED: readonly (readonly [about: string, bytes: string, status: number])[] = [
  ['an HTTP/2.0 request line on an HTTP/1 port', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 426],
  ['a well-formed version that is not 1.x', 'GET / HTTP/1.2\r\nHost: a\r\n\r\n', 426],
  ['a malformed version', 'GET / HTTP/1.10\r\nHost: a\r\n\r\n', 400],
  ['a version without a dot (found by the split property: it once depended on the read)', 'GET / HTTP/9\r\nHost: a\r\n\r\n', 400],
  ['an HTTP/0.9 simple request', 'GET /\r\n\r\n', 426],
  ['GET with the asterisk form', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['a fragment in the target', 'GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['CONNECT without a port', 'CONNECT example.test HTTP/1.1\r\nHost: example.test\r\n\r\n', 400],
  ['CONNECT with a path as its target', 'CONNECT /path HTTP/1.1\r\nHost: example.test\r\n\r\n', 400],
  ['a Host with a space inside', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
  ['two Host headers (RFC 9112 §3.2)', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400],
  ['101 headers, over max_headers_count (100)', `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 100 }, (_, i) => `x-h${i}: v\r\n`).join('')}\r\n`, 431],
  ['Content-Length with Transfer-Encoding: chunked (CL.TE smuggling)', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG', 400],
  ['a transfer coding nodevoy does not implement', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\nhello', 501],
  ['a chunk size that is not hex, mid-body', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400],
  ['chunk data not followed by CRLF', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n', 400],
];

t.test('refused requests: one answer with Envoy\'s status, then the connection closes, nothing forwarded', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, config(upstream.port));
  for (const [about, bytes, status] of REFUSED) {
    const { statuses, end } = await exchange(t, proxy, bytes);
    t.same(statuses, [status], about);
    t.equal(end, 'fin', `${about}: closed after the answer`);
  }
  t.same(upstream.requests, [], 'nothing reached the upstream');
  t.equal(proxy.stat('http.ingress.downstream_cx_protocol_error'), REFUSED.length, 'each counted once as a protocol error');
  t.equal(await proxy.waitForStat('http.ingress.downstream_cx_active', (v) => v === 0), 0);
});

t.test('max_headers_count lowers the limit', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, config(upstream.port, '          common_http_protocol_options: { max_headers_count: 3 }\n'));
  t.same((await exchange(t, proxy, 'GET / HTTP/1.1\r\nHost: a\r\nx-a: 1\r\nx-b: 2\r\nx-c: 3\r\n\r\n')).statuses, [431]);
  t.same((await exchange(t, proxy, 'GET / HTTP/1.1\r\nHost: a\r\nx-a: 1\r\nConnection: close\r\n\r\n')).statuses, [200], 'three headers pass');
});

t.test('a valid request followed by garbage: its response first, then the 400', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, config(upstream.port));
  const { statuses, end, text } = await exchange(t, proxy, 'GET /first HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n\r\n');
  t.same(statuses, [200, 400]);
  t.match(text, 'upstream GET /first', 'the valid request was served');
  t.equal(end, 'fin');
  // The same when the bad bytes follow a request whose (empty) body is complete.
  t.same((await exchange(t, proxy, 'POST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nstray')).statuses, [200, 400]);
  t.same(
    upstream.requests.map((r) => r.url),
    ['/first', '/second'],
  );
});

t.test('the client ends its side mid-body: the connection closes, the upstream request is abandoned, nothing leaks', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, config(upstream.port));
  const { statuses } = await exchange(t, proxy, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n', true);
  t.same(statuses, [], 'no answer (as Envoy)');
  t.equal(await proxy.waitForStat('http.ingress.downstream_cx_active', (v) => v === 0), 0, 'the connection is gone');
  t.equal(await proxy.waitForStat('http.ingress.downstream_rq_active', (v) => v === 0), 0, 'its request too');
  t.equal(await proxy.waitForStat('cluster.backend.upstream_rq_active', (v) => v === 0), 0, 'and the upstream request');
  t.same(upstream.requests, [], 'no request completed upstream');
});

t.test('header bytes above 0x7f reach the upstream unchanged', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, config(upstream.port));
  const { statuses } = await exchange(t, proxy, 'GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9\r\nConnection: close\r\n\r\n');
  t.same(statuses, [200]);
  t.equal(Buffer.from(String(upstream.requests[0]?.headers['x-a']), 'latin1').toString('hex'), Buffer.from('caf\xe9', 'latin1').toString('hex'));
});

t.test('an expectation other than 100-continue is forwarded, with no keep-alive header of node\'s', async (t) => {
  const upstream = await startHttpUpstream(t);
  // The upstream serves any expectation (node:http's own answer would be 417).
  upstream.server.on('checkExpectation', (request, response) => upstream.server.emit('request', request, response));
  const proxy = await startInProcess(t, config(upstream.port));
  const { statuses } = await exchange(t, proxy, 'GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nConnection: close\r\n\r\n');
  t.same(statuses, [200]);
  t.equal(upstream.requests[0]?.headers.expect, 'teapot');
  t.equal(upstream.requests[0]?.headers.connection, undefined);
});
