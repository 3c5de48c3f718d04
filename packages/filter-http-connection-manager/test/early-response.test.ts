// An upstream that answers before it has read the request's body (a 413, a redirect, a crash
// report): the client gets the answer, and the rest of its upload does not stay on the
// connection: it is read into nothing, so an HTTP/1.1 connection goes on to its next request and
// an HTTP/2 stream ends with the upload. What made nodevoy add the drain was `npm run soak`
// (HTTP/1.1 connections hung on their next request after an early 503; HTTP/2 streams stayed
// open until the session refused new ones with ENHANCE_YOUR_CALM); those need the soak's chaos
// to show (`SOAK_ONLY=http1`, `SOAK_ONLY=http2`), and these tests check the behaviour around them.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http2';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, connectTo, http2Session, httpConnectionManager, readHttp1Responses, startInProcess, tcpListener, type TestLike } from '@nodevoy/test-kit';

/** Answers 200 `early` at once and reads nothing more: the upload backs up into the proxy. */
async function earlyUpstream(t: TestLike): Promise<number> {
  const server = createServer((request, response) => {
    request.socket.pause();
    response.end('early');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

function config(upstreamPort: number): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'http',
  httpConnectionManager({
    extra: '          http2_protocol_options: { max_concurrent_streams: 4 }\n',
    routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n'),
  }),
)}  clusters:
${cluster('backend', [{ port: upstreamPort }])}`;
}

const UPLOAD = Buffer.alloc(4 * 1024 * 1024, 0x61);

t.test('HTTP/1.1: the answer, then the rest of the upload is drained and the next request served', async (t) => {
  const proxy = await startInProcess(t, config(await earlyUpstream(t)));
  const socket = await connectTo(t, proxy.port('http'));
  socket.on('error', () => {});
  const answers = readHttp1Responses(socket, 2);
  socket.write(`POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: ${UPLOAD.length}\r\n\r\n`);
  socket.write(UPLOAD);
  socket.write('GET /next HTTP/1.1\r\nhost: a\r\n\r\n');
  const [first, next] = await answers;
  t.match(first?.head, /^HTTP\/1\.1 200 OK/);
  t.equal(first?.body, 'early');
  t.match(next?.head, /^HTTP\/1\.1 200 OK/, 'the request after the drained upload is served');
  t.equal(await proxy.waitForStat('http.ingress.downstream_rq_response_before_rq_complete', (v) => v >= 1), 1);
});

t.test('HTTP/2: each answer ends its stream, and the session keeps serving', async (t) => {
  const proxy = await startInProcess(t, config(await earlyUpstream(t)));
  const session = await http2Session(t, proxy.port('http'));
  // More streams than the session allows at once: any stream left open would block the next.
  for (let i = 0; i < 12; i++) {
    const stream = session.request({ ':method': 'POST', ':path': `/upload/${i}` });
    stream.on('error', () => {});
    stream.end(UPLOAD);
    const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(stream, 'close');
    t.equal(headers[':status'], 200, `stream ${i}: answered`);
    t.equal(Buffer.concat(chunks).toString(), 'early');
    t.equal(stream.rstCode, 0, `stream ${i}: ended cleanly`);
  }
  t.equal(await proxy.waitForStat('http.ingress.downstream_rq_active', (v) => v === 0), 0);
  t.equal(proxy.stat('http.ingress.downstream_rq_response_before_rq_complete'), 12);
});
