// An HTTP/2 client that cancels responses it has not read yet, many times on one connection, is
// still served. node:http2 counts what a session holds against `maxSessionMemory` (10 MB by
// default) and refuses new streams with ENHANCE_YOUR_CALM past it; data written on a stream that
// is then reset stays counted, so a long-lived connection reached the limit (the soak saw it).
// Envoy has no such limit: flow control and the buffer limits bound a connection, as in nodevoy.
import { once } from 'node:events';
import t from 'tap';
import { http2Request, http2Session, httpProxyBootstrap, startHttpUpstream, startInProcess } from '@nodevoy/test-kit';

const CANCELLED = 200;
const RESPONSE_BYTES = 256 * 1024;

t.test('200 responses cancelled unread on one connection: every stream is still served', async (t) => {
  const upstream = await startHttpUpstream(t, (request, response) => {
    response.end(request.url === '/small' ? 'small' : Buffer.alloc(RESPONSE_BYTES, 'x'));
  });
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: upstream.port }]));
  const session = await http2Session(t, proxy.port('http'));
  let served = 0;
  for (let i = 0; i < CANCELLED; i++) {
    const big = session.request({ ':path': `/big/${i}` });
    big.on('error', () => {});
    const [headers] = (await once(big, 'response')) as [Record<string, unknown>];
    if (headers[':status'] === 200) served++;
    // The whole response is in the proxy, partly sent: the client cancels without reading it.
    await proxy.waitForStat('cluster.backend.upstream_rq_completed', (n) => n === i + 1);
    big.close(8);
    await once(big, 'close');
  }
  t.equal(served, CANCELLED, 'every big response started');
  const small = await http2Request(session, { ':path': '/small' });
  t.equal(small.headers[':status'], 200);
  t.equal(small.body, 'small');
});
