// Circuit breakers with real requests held in flight: max_requests and max_pending_requests
// refuse what is past them at once (503, reset reason overflow, x-envoy-overloaded), the *_open
// and remaining_* gauges follow, a retry budget caps retries, per-host max_connections caps a
// host; once requests finish, traffic flows again.
import t from 'tap';
import type { ServerResponse } from 'node:http';
import {
  AdminClient,
  askOnce,
  bootstrap,
  cluster,
  collect,
  connectTo,
  httpProxyBootstrap,
  httpRequest,
  startEchoServer,
  startHttpUpstream,
  startInProcess,
  tcpListener,
  tcpProxyFilter,
  waitFor,
  type TestLike,
} from '@nodevoy/test-kit';

/** An upstream that holds every /hold request until `release()`. */
async function holdingUpstream(t: TestLike) {
  const held: ServerResponse[] = [];
  const upstream = await startHttpUpstream(t, (request, response) => {
    if (request.url?.startsWith('/hold')) held.push(response);
    else response.end('fast');
  });
  return { upstream, held, release: () => held.splice(0).forEach((r) => r.end('released')) };
}

const breakers = (fields: string) => `    circuit_breakers: { thresholds: [{ ${fields} }] }\n`;

t.test('max_requests: past the limit, 503 overflow at once; the gauges say the breaker is open', async (t) => {
  const { upstream, release } = await holdingUpstream(t);
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: upstream.port }], { clusterExtra: breakers('max_requests: 1, track_remaining: true') }));
  const port = proxy.port('http');
  const first = httpRequest(port, { path: '/hold/1' });
  await proxy.waitForStat('cluster.backend.upstream_rq_active', (n) => n === 1);
  t.equal(proxy.stat('cluster.backend.circuit_breakers.default.rq_open'), 1);
  t.equal(proxy.stat('cluster.backend.circuit_breakers.default.remaining_rq'), 0);
  const refused = await httpRequest(port, { path: '/hold/2' });
  t.equal(refused.status, 503);
  t.equal(refused.body, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
  t.equal(refused.headers['x-envoy-overloaded'], 'true');
  t.equal(proxy.stat('cluster.backend.upstream_rq_active_overflow'), 1);
  release();
  t.equal((await first).body, 'released', 'the request in flight was not disturbed');
  await proxy.waitForStat('cluster.backend.circuit_breakers.default.rq_open', (n) => n === 0);
  t.equal(proxy.stat('cluster.backend.circuit_breakers.default.remaining_rq'), 1);
  t.equal((await httpRequest(port, { path: '/after' })).body, 'fast', 'below the limit again, requests pass');
});

t.test('max_pending_requests: with the one connection busy, one request may wait and the next overflows', async (t) => {
  const { upstream, held, release } = await holdingUpstream(t);
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: upstream.port }], { clusterExtra: breakers('max_connections: 1, max_pending_requests: 1') }));
  const port = proxy.port('http');
  const first = httpRequest(port, { path: '/hold/1' });
  await proxy.waitForStat('cluster.backend.upstream_rq_active', (n) => n === 1);
  const second = httpRequest(port, { path: '/hold/2' });
  await proxy.waitForStat('cluster.backend.upstream_rq_pending_active', (n) => n === 1);
  t.equal(proxy.stat('cluster.backend.circuit_breakers.default.rq_pending_open'), 1);
  t.equal(proxy.stat('cluster.backend.circuit_breakers.default.cx_open'), 1);
  const third = await httpRequest(port, { path: '/hold/3' });
  t.equal(third.status, 503);
  t.equal(proxy.stat('cluster.backend.upstream_rq_pending_overflow'), 1);
  release();
  t.equal((await first).status, 200);
  await waitFor(() => (held.length === 1 ? true : undefined));
  release();
  t.equal((await second).body, 'released', 'the waiting request got the connection');
});

t.test('a retry budget of 0% with no minimum: every retry overflows', async (t) => {
  const upstream = await startHttpUpstream(t, (_request, response) => {
    response.statusCode = 503;
    response.end('busy');
  });
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      clusterExtra: breakers('retry_budget: { budget_percent: { value: 0 }, min_retry_concurrency: 0 }'),
      routes: '              - { match: { prefix: / }, route: { cluster: backend, retry_policy: { retry_on: 5xx, num_retries: 3 } } }\n',
    }),
  );
  const response = await httpRequest(proxy.port('http'), { path: '/x' });
  t.equal(response.status, 503);
  t.equal(response.body, 'busy', 'the first answer stands');
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry_overflow'), 1);
  t.equal(upstream.requests.length, 1, 'no retry was sent');
});

t.test('per_host_thresholds: one connection to the host at a time', async (t) => {
  const echo = await startEchoServer(t);
  const proxy = await startInProcess(
    t,
    bootstrap({
      listeners: [tcpListener('tcp', tcpProxyFilter({ statPrefix: 'tcp', cluster: 'backend' }))],
      clusters: [cluster('backend', [{ port: echo.port }], '    circuit_breakers: { per_host_thresholds: [{ max_connections: 1 }] }\n')],
    }),
  );
  const held = await connectTo(t, proxy.port('tcp'));
  held.write('hold');
  await proxy.waitForStat('cluster.backend.upstream_cx_active', (n) => n === 1);
  const second = await connectTo(t, proxy.port('tcp'));
  second.write('second');
  t.equal((await collect(second)).data.length, 0, 'the second connection is closed, nothing echoed');
  t.equal(proxy.stat('cluster.backend.upstream_cx_overflow'), 1);
  held.destroy();
  await proxy.waitForStat('cluster.backend.upstream_cx_active', (n) => n === 0);
  t.equal(await askOnce(t, proxy.port('tcp'), 'third', 5), 'third', 'with the host free again, connections pass');
});

t.test('/clusters shows each priority’s thresholds', async (t) => {
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: 1 }], { clusterExtra: '    circuit_breakers: { thresholds: [{ max_requests: 7 }, { priority: HIGH, max_pending_requests: 9, max_retries: 2 }] }\n' }),
  );
  const text = (await new AdminClient((proxy.server.adminAddress as { asString: string }).asString).get('/clusters')).body;
  t.match(text, /backend::default_priority::max_requests::7\n/);
  t.match(text, /backend::default_priority::max_pending_requests::1024\n/);
  t.match(text, /backend::high_priority::max_pending_requests::9\n/);
  t.match(text, /backend::high_priority::max_retries::2\n/);
});
