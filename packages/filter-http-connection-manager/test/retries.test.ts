// Route retry policies, as Envoy's router retries: 5xx and retriable status codes answered again
// by another attempt with the same body, connect failures moved to another host
// (previous_hosts), per-try timeouts, x-envoy-retry-* headers only from internal clients, retries
// given up when the body outgrows the buffer; cluster.<name>.upstream_rq_retry* stats.
import t from 'tap';
import { closedPort, httpProxyBootstrap, httpRequest, startHttpUpstream, startInProcess, type TestLike } from '@nodevoy/test-kit';

function proxyTo(t: TestLike, endpoints: readonly { port: number }[], route: string, options: { hcmExtra?: string; listenerExtra?: string; clusterExtra?: string } = {}) {
  return startInProcess(t, httpProxyBootstrap(endpoints, { ...options, routes: `              - match: { prefix: / }\n                route: ${route}\n` }));
}

/** An upstream that answers each request with the next status of `statuses` (the last one for ever after). */
async function scriptedUpstream(t: TestLike, statuses: readonly number[]) {
  let served = 0;
  return startHttpUpstream(t, (request, response) => {
    const status = statuses[Math.min(served++, statuses.length - 1)] as number;
    response.statusCode = status;
    response.end(`${status} for ${request.method} ${request.body}`);
  });
}

t.test('retry_on 5xx: two 503s, then the 200 reaches the client; the body went with every attempt', async (t) => {
  const upstream = await scriptedUpstream(t, [503, 503, 200]);
  const proxy = await proxyTo(t, [{ port: upstream.port }], '{ cluster: backend, retry_policy: { retry_on: 5xx, num_retries: 2, retry_back_off: { base_interval: 0.001s } } }');
  const response = await httpRequest(proxy.port('http'), { method: 'POST', path: '/order', body: 'one pizza' });
  t.equal(response.status, 200);
  t.equal(response.body, '200 for POST one pizza');
  t.same(upstream.requests.map((r) => r.body), ['one pizza', 'one pizza', 'one pizza']);
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry'), 2);
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry_success'), 1);
  t.equal(proxy.stat('cluster.backend.upstream_rq_200'), 1, 'only the answer the client got is charged');
});

t.test('retries exhausted: the last upstream answer goes to the client; retry_limit_exceeded', async (t) => {
  const upstream = await scriptedUpstream(t, [503]);
  const proxy = await proxyTo(t, [{ port: upstream.port }], '{ cluster: backend, retry_policy: { retry_on: "gateway-error,retriable-status-codes", retriable_status_codes: [418], num_retries: 1, retry_back_off: { base_interval: 0.001s } } }');
  const response = await httpRequest(proxy.port('http'), { path: '/' });
  t.equal(response.status, 503);
  t.equal(response.body, '503 for GET ', 'the upstream’s own 503');
  t.equal(upstream.requests.length, 2);
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry_limit_exceeded'), 1);
  const teapot = await scriptedUpstream(t, [418, 200]);
  const other = await proxyTo(t, [{ port: teapot.port }], '{ cluster: backend, retry_policy: { retry_on: retriable-status-codes, retriable_status_codes: [418] } }');
  t.equal((await httpRequest(other.port('http'), { path: '/' })).status, 200, 'a listed status is retried (num_retries defaults to 1)');
  const plain = await scriptedUpstream(t, [418, 200]);
  const unlisted = await proxyTo(t, [{ port: plain.port }], '{ cluster: backend, retry_policy: { retry_on: 5xx } }');
  t.equal((await httpRequest(unlisted.port('http'), { path: '/' })).status, 418, 'a 4xx is not a 5xx');
});

t.test('connect-failure with previous_hosts: the next attempt goes to a host not tried yet', async (t) => {
  const live = await scriptedUpstream(t, [200]);
  const dead = await closedPort();
  const proxy = await proxyTo(
    t,
    [{ port: dead }, { port: live.port }],
    `{ cluster: backend, retry_policy: { retry_on: connect-failure, num_retries: 1, host_selection_retry_max_attempts: 5, retry_back_off: { base_interval: 0.001s },
                  retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts, typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate } }] } }`,
  );
  for (let i = 0; i < 4; i++) t.equal((await httpRequest(proxy.port('http'), { path: `/${i}` })).status, 200, `request ${i}`);
  t.equal(live.requests.length, 4);
  t.ok(proxy.stat('cluster.backend.upstream_rq_retry') >= 1, 'the requests that drew the dead host were retried');
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry_limit_exceeded'), 0);
});

t.test('per_try_timeout: an attempt that does not answer in time is retried', async (t) => {
  let seen = 0;
  const upstream = await startHttpUpstream(t, (_request, response) => {
    if (seen++ === 0) return; // the first attempt never gets an answer
    response.end('second attempt');
  });
  const proxy = await proxyTo(t, [{ port: upstream.port }], '{ cluster: backend, retry_policy: { retry_on: 5xx, per_try_timeout: 0.2s, retry_back_off: { base_interval: 0.001s } } }');
  const response = await httpRequest(proxy.port('http'), { path: '/' });
  t.equal(response.status, 200);
  t.equal(response.body, 'second attempt');
  t.equal(proxy.stat('cluster.backend.upstream_rq_per_try_timeout'), 1);
  const stalled = await startHttpUpstream(t, () => {});
  const noRetry = await proxyTo(t, [{ port: stalled.port }], '{ cluster: backend, retry_policy: { retry_on: connect-failure, per_try_timeout: 0.1s } }');
  const timedOut = await httpRequest(noRetry.port('http'), { path: '/' });
  t.equal(timedOut.status, 504, 'not retriable: the per-try timeout answers 504');
  t.equal(timedOut.body, 'upstream request timeout');
});

t.test('x-envoy-retry-on and x-envoy-max-retries count from internal clients only, and never go upstream', async (t) => {
  const internal = await scriptedUpstream(t, [503, 503, 200]);
  const trusting = await proxyTo(t, [{ port: internal.port }], '{ cluster: backend }', {
    hcmExtra: '          use_remote_address: true\n          internal_address_config: { cidr_ranges: [{ address_prefix: 127.0.0.0, prefix_len: 8 }] }\n',
  });
  const asked = await httpRequest(trusting.port('http'), { path: '/', headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '2' } });
  t.equal(asked.status, 200);
  t.equal(internal.requests.length, 3);
  t.equal(internal.requests[0]?.headers['x-envoy-retry-on'], undefined, 'consumed by the router');
  const external = await scriptedUpstream(t, [503, 200]);
  const edge = await proxyTo(t, [{ port: external.port }], '{ cluster: backend }', { hcmExtra: '          use_remote_address: true\n' });
  t.equal((await httpRequest(edge.port('http'), { path: '/', headers: { 'x-envoy-retry-on': '5xx' } })).status, 503, 'an external client cannot ask for retries');
});

t.test('a body past the buffer limit gives retries up (retry_or_shadow_abandoned); the first answer stands', async (t) => {
  const upstream = await scriptedUpstream(t, [503, 200]);
  const proxy = await proxyTo(t, [{ port: upstream.port }], '{ cluster: backend, retry_policy: { retry_on: 5xx } }', { listenerExtra: '    per_connection_buffer_limit_bytes: 1024\n' });
  const response = await httpRequest(proxy.port('http'), { method: 'POST', path: '/', body: 'x'.repeat(8192) });
  t.equal(response.status, 503);
  t.equal(upstream.requests.length, 1);
  t.equal(proxy.stat('cluster.backend.retry_or_shadow_abandoned'), 1);
});

t.test('the cluster’s max_retries circuit breaker: a retry past it is not made (upstream_rq_retry_overflow)', async (t) => {
  const upstream = await scriptedUpstream(t, [503, 200]);
  const proxy = await proxyTo(t, [{ port: upstream.port }], '{ cluster: backend, retry_policy: { retry_on: 5xx } }', {
    clusterExtra: '    circuit_breakers: { thresholds: [{ max_retries: 0 }] }\n',
  });
  t.equal((await httpRequest(proxy.port('http'), { path: '/' })).status, 503, 'the first answer stands');
  t.equal(upstream.requests.length, 1);
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry_overflow'), 1);
  t.equal(proxy.stat('cluster.backend.upstream_rq_retry'), 0);
});
