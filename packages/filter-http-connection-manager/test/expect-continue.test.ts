// `Expect: 100-continue` as Envoy handles it: the connection manager answers `100 Continue`
// itself and strips Expect before forwarding, on HTTP/1.1 and HTTP/2 alike, unless
// `proxy_100_continue` passes the expectation and the upstream's 100 through. curl adds Expect
// to every body over 1 MB; this once killed the whole process (issue: an upload, then the
// upstream closing its pooled connection).
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http2';
import { join } from 'node:path';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, curl, http2Session, httpConnectionManager, startHttpUpstream, startNodevoy, tcpListener, type UpstreamHandler } from '@nodevoy/test-kit';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Answers with the digest of the body and the Expect header the upstream saw. */
const digestReply: UpstreamHandler = (request, response) => {
  response.setHeader('x-seen-expect', request.headers.expect ?? 'none');
  response.end(sha256(request.bodyBytes));
};

function config(upstreamPort: number, hcmExtra = ''): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ extra: hcmExtra, routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n') }))}  clusters:
${cluster('backend', [{ port: upstreamPort }])}`;
}

t.test('curl uploads 2 MB (Expect: 100-continue): answered 100 by nodevoy, forwarded without Expect, and the process lives on', async (t) => {
  const upstream = await startHttpUpstream(t, digestReply);
  // The upstream closes a kept-alive connection as soon as it is idle: once the upload is done.
  upstream.server.keepAliveTimeout = 1;
  const proxy = await startNodevoy(t, config(upstream.port));
  const port = await proxy.admin.listenerPort('http');
  const body = randomBytes(2 * 1024 * 1024);
  const file = join(t.testdir(), 'upload.bin');
  writeFileSync(file, body);

  const upload = await curl(['-i', '--data-binary', `@${file}`, `http://127.0.0.1:${port}/up`]);
  t.equal(upload.code, 0, upload.stderr);
  const heads = upload.stdout.split('\r\n\r\n');
  t.match(heads[0], /^HTTP\/1\.1 100 Continue$/, 'the interim answer came first');
  t.match(heads[1], /^HTTP\/1\.1 200 OK\r\n/);
  t.match(heads[1], /x-seen-expect: none/i, 'Expect did not go upstream');
  t.equal(heads[2], sha256(body), 'the whole body arrived upstream');
  t.equal(upload.stdout.match(/100 Continue/g)?.length, 1, 'one 100, nodevoy\'s');
  t.equal(await proxy.admin.waitForStat('http.ingress.downstream_rq_1xx', (v) => v >= 1), 1);

  // The upstream closed the pooled connection that carried the upload.
  await proxy.admin.waitForStats((s) => s.get('cluster.backend.upstream_cx_destroy') === 1 && s.get('cluster.backend.upstream_cx_active') === 0);
  t.equal((await proxy.admin.get('/ready')).body, 'LIVE\n', 'the proxy is still up');
  const after = await curl(['-s', '--data', 'small', `http://127.0.0.1:${port}/again`]);
  t.equal(after.stdout, sha256('small'), 'and serves the next request');
  t.equal(proxy.child.exitCode, null);
});

t.test('HTTP/2: the 100 comes from nodevoy before the body is sent', async (t) => {
  const upstream = await startHttpUpstream(t, digestReply);
  const proxy = await startNodevoy(t, config(upstream.port));
  const session = await http2Session(t, await proxy.admin.listenerPort('http'));
  const stream = session.request({ ':method': 'POST', ':path': '/h2', ':authority': 'a', expect: '100-continue' });
  await once(stream, 'continue');
  stream.end('after the 100');
  const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  t.equal(headers[':status'], 200);
  t.equal(headers['x-seen-expect'], 'none');
  t.equal(Buffer.concat(chunks).toString(), sha256('after the 100'));
});

t.test('proxy_100_continue: the expectation goes upstream and the upstream\'s 100 comes back, once', async (t) => {
  const upstream = await startHttpUpstream(t, digestReply);
  const proxy = await startNodevoy(t, config(upstream.port, '          proxy_100_continue: true\n'));
  const port = await proxy.admin.listenerPort('http');
  const body = randomBytes(1024 * 1024 + 1);
  const file = join(t.testdir(), 'upload.bin');
  writeFileSync(file, body);
  const upload = await curl(['-i', '--data-binary', `@${file}`, `http://127.0.0.1:${port}/up`]);
  t.equal(upload.code, 0, upload.stderr);
  t.equal(upload.stdout.match(/100 Continue/g)?.length, 1, 'one 100: the upstream\'s, passed on');
  t.match(upload.stdout, /x-seen-expect: 100-continue/i);
  t.ok(upload.stdout.endsWith(sha256(body)));
});

t.test('another expectation is forwarded as it came (node:http alone would answer 417)', async (t) => {
  const upstream = await startHttpUpstream(t, (request, response) => response.end(`expect=${request.headers.expect ?? 'none'}`));
  upstream.server.on('checkExpectation', (request, response) => upstream.server.emit('request', request, response));
  const proxy = await startNodevoy(t, config(upstream.port));
  const port = await proxy.admin.listenerPort('http');
  const result = await curl(['-s', '-H', 'Expect: something-else', '--data', 'x', `http://127.0.0.1:${port}/`]);
  t.equal(result.stdout, 'expect=something-else');
});
