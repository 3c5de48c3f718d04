// envoy.filters.http.health_check through a real connection manager and upstream: health checks
// answered by the proxy with the node's cluster, /healthcheck/fail and /healthcheck/ok on the
// admin interface (503 and LH, x-envoy-immediate-health-check-fail and connection: close on
// every other answer), pass-through with a cached answer, cluster_min_healthy_percentages
// against a cluster whose hosts are actively checked, access logs' not_health_check_filter, and
// health_check.* stats as Envoy 1.40 counts them.
import { Agent } from 'node:http';
import t from 'tap';
import { ADMIN, AdminClient, anyHostRoutes, closedPort, cluster, fileAccessLogs, httpConnectionManager, httpRequest, scratchDir, startHttpUpstream, startInProcess, tcpListener, waitForLines, type TestLike } from '@nodevoy/test-kit';

const HEALTH_CHECK = 'type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck';

async function setup(t: TestLike, filter: string, options: { readonly clusters?: string; readonly accessLogs?: string } = {}) {
  const upstream = await startHttpUpstream(t);
  const hcm = httpConnectionManager({
    routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n'),
    extra: options.accessLogs ?? '',
    httpFilters: `          - name: envoy.filters.http.health_check
            typed_config:
              "@type": ${HEALTH_CHECK}
              headers: [{ name: ":path", string_match: { exact: /healthz } }]
${filter}`,
  });
  const proxy = await startInProcess(t, `node: { id: edge-1, cluster: edge }\n${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', hcm)}  clusters:\n${cluster('backend', [{ port: upstream.port }])}${options.clusters ?? ''}`);
  const admin = new AdminClient((proxy.server.adminAddress as { asString: string }).asString);
  // Keep-alive requests: a connection: close in an answer is the proxy's decision, not the client's.
  const agent = new Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const get = (path: string) => httpRequest(proxy.port('http'), { path, agent });
  return { proxy, upstream, admin, get };
}

t.test('answered by the proxy: 200, no body, the node’s cluster; other requests go on', async (t) => {
  const { proxy, upstream, get } = await setup(t, '              pass_through_mode: false\n');
  const health = await get('/healthz');
  t.equal(health.status, 200);
  t.equal(health.body, '');
  t.equal(health.headers['x-envoy-upstream-healthchecked-cluster'], 'edge');
  const other = await get('/orders');
  t.equal(other.status, 200);
  t.notOk(other.headers['x-envoy-upstream-healthchecked-cluster']);
  t.equal(upstream.requests.length, 1, 'only the request that is not a health check reached the upstream');
  t.equal(proxy.stat('http.ingress.health_check.request_total'), 1);
  t.equal(proxy.stat('http.ingress.health_check.ok'), 1);
});

t.test('/healthcheck/fail: health checks fail, every answer says so and closes; /healthcheck/ok undoes it', async (t) => {
  const { proxy, admin, get } = await setup(t, '              pass_through_mode: false\n');
  t.equal((await admin.get('/healthcheck/fail')).status, 405, 'a GET does not change state');
  t.equal(proxy.stat('server.live'), 1);
  t.equal((await admin.get('/healthcheck/fail', { method: 'POST' })).body, 'OK\n');
  t.equal(proxy.stat('server.live'), 0);
  const health = await get('/healthz');
  t.equal(health.status, 503);
  t.equal(health.headers['x-envoy-upstream-healthchecked-cluster'], 'edge');
  t.equal(health.headers['connection'], 'close', 'a failed server drains its connections');
  t.equal(health.headers['x-envoy-immediate-health-check-fail'], 'true');
  const other = await get('/orders');
  t.equal(other.status, 200);
  t.equal(other.headers['x-envoy-immediate-health-check-fail'], 'true');
  t.equal(other.headers['connection'], 'close');
  t.equal(proxy.stat('http.ingress.health_check.failed'), 1);
  t.equal(proxy.stat('http.ingress.downstream_cx_drain_close'), 2);

  await admin.get('/healthcheck/ok', { method: 'POST' });
  t.equal(proxy.stat('server.live'), 1);
  const healthy = await get('/healthz');
  t.equal(healthy.status, 200);
  t.not(healthy.headers['connection'], 'close', 'the connection stays open again');
  t.notOk((await get('/orders')).headers['x-envoy-immediate-health-check-fail']);
});

t.test('pass-through: health checks reach the upstream; with cache_time the next is answered from its answer', async (t) => {
  const { proxy, upstream, admin, get } = await setup(t, '              pass_through_mode: true\n              cache_time: 60s\n');
  const first = await get('/healthz');
  t.equal(first.status, 200);
  t.equal(first.body, 'upstream GET /healthz', 'the upstream answered');
  t.equal(first.headers['x-envoy-upstream-healthchecked-cluster'], 'edge');
  const second = await get('/healthz');
  t.equal(second.status, 200);
  t.equal(second.body, '', 'the cached answer');
  t.equal(upstream.requests.length, 1);
  t.equal(proxy.stat('http.ingress.health_check.cached_response'), 1);
  t.equal(proxy.stat('http.ingress.health_check.request_total'), 1, 'only answers the filter gives are counted');
  await admin.get('/healthcheck/fail', { method: 'POST' });
  t.equal((await get('/healthz')).status, 503, 'a failed server answers even in pass-through mode');
});

t.test('cluster_min_healthy_percentages: too few available hosts, or no such cluster, fail the check', async (t) => {
  const checked = await startHttpUpstream(t);
  const down = await closedPort();
  const clusters = cluster(
    'checked',
    [{ port: checked.port }, { port: down }],
    `    health_checks:
    - { timeout: 1s, interval: 0.05s, no_traffic_interval: 0.05s, unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {} }
`,
  );
  const half = await setup(t, '              pass_through_mode: false\n              cluster_min_healthy_percentages: { checked: { value: 50 } }\n', { clusters });
  await half.proxy.waitForStat('cluster.checked.membership_healthy', (v) => v === 1);
  t.equal((await half.get('/healthz')).status, 200, 'one of two hosts is 50%');

  const most = await setup(t, '              pass_through_mode: false\n              cluster_min_healthy_percentages: { checked: { value: 75 } }\n', { clusters });
  await most.proxy.waitForStat('cluster.checked.membership_healthy', (v) => v === 1);
  t.equal((await most.get('/healthz')).status, 503);
  t.equal(most.proxy.stat('http.ingress.health_check.failed_cluster_unhealthy'), 1);

  const missing = await setup(t, '              pass_through_mode: false\n              cluster_min_healthy_percentages: { nowhere: { value: 10 } }\n');
  t.equal((await missing.get('/healthz')).status, 503);
  t.equal(missing.proxy.stat('http.ingress.health_check.failed_cluster_not_found'), 1);
});

t.test('access logs: not_health_check_filter leaves health checks out', async (t) => {
  const dir = scratchDir(t);
  const accessLogs = `${fileAccessLogs([{ path: `${dir}/all.log`, format: '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\n' }])}          - name: envoy.access_loggers.file
            filter: { not_health_check_filter: {} }
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${dir}/traffic.log
              log_format: { text_format_source: { inline_string: "%REQ(:PATH)%\\n" } }
`;
  const { get } = await setup(t, '              pass_through_mode: false\n', { accessLogs });
  await get('/healthz');
  await get('/orders');
  t.same(await waitForLines(`${dir}/all.log`, 2), ['/healthz 200 health_check_ok', '/orders 200 via_upstream']);
  t.same(await waitForLines(`${dir}/traffic.log`, 1), ['/orders']);
});
