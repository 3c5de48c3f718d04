// Active HTTP health checks (envoy.health_checkers.http) against real upstreams: hosts leave and
// rejoin the load-balancing set as their answers change, as Envoy's checker decides it (a wrong
// status fails a host at once, network failures and retriable statuses count towards the
// threshold, the first pass makes a new host healthy), with Envoy's stats, /clusters flags and
// event log. Transitions are awaited through stats, never by sleeping.
import { createServer as createHttp2Server, type Http2ServerRequest } from 'node:http2';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import {
  AdminClient,
  anyHostRoutes,
  bootstrap,
  cluster,
  httpConnectionManager,
  internalListener,
  configProblems,
  httpProxyBootstrap,
  httpRequest,
  scratchDir,
  startHttpUpstream,
  startInProcess,
  waitFor,
  type HttpUpstream,
  type TestLike,
  type InProcessNodevoy,
} from '@nodevoy/test-kit';

/** An upstream whose /healthz answers with whatever status `health` holds now. */
async function checkedUpstream(t: TestLike, name: string, health: { status: number; headers?: Record<string, string>; body?: string }): Promise<HttpUpstream> {
  return startHttpUpstream(t, (request, response) => {
    if (request.url === '/healthz') {
      response.writeHead(health.status, health.headers ?? {});
      response.end(health.body ?? '');
      return;
    }
    response.end(name);
  });
}

const healthChecks = (fields: string, httpCheck = 'path: /healthz') => `    health_checks:
    - timeout: 1s
      interval: 0.05s
      no_traffic_interval: 0.05s
      unhealthy_threshold: 2
      healthy_threshold: 2
${fields}      http_health_check: { ${httpCheck} }
`;

async function flags(proxy: InProcessNodevoy): Promise<string[]> {
  const admin = new AdminClient((proxy.server.adminAddress as { asString: string }).asString);
  const text = (await admin.get('/clusters')).body;
  return text.split('\n').filter((line) => line.includes('::health_flags::')).map((line) => line.replace(/127\.0\.0\.1:\d+/, 'host'));
}

/** Which upstreams answer `count` requests through the proxy. */
async function answering(proxy: InProcessNodevoy, count: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) seen.add((await httpRequest(proxy.port('http'), { path: '/work' })).body);
  return seen;
}

t.test('hosts leave and rejoin the load-balancing set as their checks fail and pass', async (t) => {
  const aHealth = { status: 200 };
  const bHealth = { status: 503 };
  const [a, b] = [await checkedUpstream(t, 'A', aHealth), await checkedUpstream(t, 'B', bHealth)];
  const dir = scratchDir(t, {});
  const eventLog = join(dir, 'hc-events.log');
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: a.port }, { port: b.port }], { clusterExtra: healthChecks(`      event_log_path: ${eventLog}\n`) }));

  // The server started only after every host had its first check.
  t.same(await flags(proxy), ['backend::host::health_flags::healthy', 'backend::host::health_flags::/failed_active_hc']);
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1);
  t.equal(proxy.stat('cluster.backend.health_check.healthy'), 1);
  t.same([...(await answering(proxy, 6))], ['A'], 'only the passing host takes traffic');
  const check = a.requests.find((r) => r.url === '/healthz');
  t.equal(check?.method, 'GET');
  t.equal(check?.headers.host, 'backend', 'the Host header is the cluster name');
  t.equal(check?.headers['user-agent'], 'Envoy/HC');
  t.equal(check?.headers.connection, undefined, 'no Connection header: keep-alive is the checker’s business');

  bHealth.status = 200;
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 2);
  t.same([...(await answering(proxy, 10))].sort(), ['A', 'B'], 'a host that passes twice in a row takes traffic again');

  aHealth.status = 500;
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 1);
  t.same([...(await answering(proxy, 6))], ['B'], 'a wrong status fails a host at once');
  t.equal(proxy.stat('cluster.backend.health_check.network_failure'), 0);

  const text = await waitFor(() => {
    const log = readFileSync(eventLog, 'utf8');
    return log.includes('eject_unhealthy_event') ? log : undefined;
  });
  const events = text.trim().split('\n').map((line) => JSON.parse(line));
  const [first, second] = events;
  t.match(first, { health_checker_type: 'HTTP', cluster_name: 'backend', add_healthy_event: { first_check: true } });
  t.match(second, { health_check_failure_event: { failure_type: 'ACTIVE', first_check: true, http_status_code: 503 } });
  t.match(events.at(-1), { host: { socket_address: { address: '127.0.0.1', port_value: a.port } }, eject_unhealthy_event: { failure_type: 'ACTIVE' } });
});

t.test('retriable statuses count towards unhealthy_threshold; a pass starts the count over', async (t) => {
  // The upstream answers in a script: 429, 429, 200 (the count starts over), then 429 for good.
  const script = [200, 429, 429, 200];
  let calls = 0;
  const upstream = await startHttpUpstream(t, (request, response) => {
    if (request.url !== '/healthz') return void response.end('up');
    response.statusCode = script[calls++] ?? 429;
    response.end();
  });
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: upstream.port }], {
      clusterExtra: healthChecks('', 'path: /healthz, retriable_statuses: [{ start: 429, end: 430 }]').replace('unhealthy_threshold: 2', 'unhealthy_threshold: 3'),
    }),
  );
  await proxy.waitForStat('cluster.backend.health_check.success', (n) => n === 2);
  t.equal(proxy.stat('cluster.backend.health_check.failure'), 2, 'two retriable failures...');
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1, '...below the threshold: still healthy');
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 0);
  t.equal(proxy.stat('cluster.backend.health_check.failure'), 5, 'three in a row fail it');
});

t.test('a host that never answers times out: active_hc_timeout, a network failure', async (t) => {
  const a = await checkedUpstream(t, 'A', { status: 200 });
  const silent = await startHttpUpstream(t, () => {});
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: a.port }, { port: silent.port }], { clusterExtra: healthChecks('').replace('timeout: 1s', 'timeout: 0.2s') }));
  t.same(await flags(proxy), ['backend::host::health_flags::healthy', 'backend::host::health_flags::/failed_active_hc/active_hc_timeout']);
  t.ok(proxy.stat('cluster.backend.health_check.network_failure') >= 1);
  t.same([...(await answering(proxy, 4))], ['A']);
});

t.test('response body, degraded and immediate-failure headers, service name', async (t) => {
  const good = await checkedUpstream(t, 'good', { status: 200, body: 'status: OK', headers: { 'x-envoy-upstream-healthchecked-cluster': 'payments' } });
  const wrongBody = await checkedUpstream(t, 'wrong', { status: 200, body: 'status: DOWN', headers: { 'x-envoy-upstream-healthchecked-cluster': 'payments' } });
  const degraded = await checkedUpstream(t, 'degraded', { status: 200, body: 'OK', headers: { 'x-envoy-degraded': '1', 'x-envoy-upstream-healthchecked-cluster': 'payments' } });
  const leaving = await checkedUpstream(t, 'leaving', { status: 503, headers: { 'x-envoy-immediate-health-check-fail': 'true' } });
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: good.port }, { port: wrongBody.port }, { port: degraded.port }, { port: leaving.port }], {
      // "OK" in hex; the service name the upstream must say it is.
      clusterExtra: healthChecks('', 'path: /healthz, receive: [{ text: "4f4b" }], service_name_matcher: { exact: payments }'),
    }),
  );
  t.same(await flags(proxy), [
    'backend::host::health_flags::healthy',
    'backend::host::health_flags::/failed_active_hc',
    'backend::host::health_flags::/degraded_active_hc',
    'backend::host::health_flags::/failed_active_hc/excluded_via_immediate_hc_fail',
  ]);
  t.equal(proxy.stat('cluster.backend.health_check.degraded'), 1);
  t.ok(proxy.stat('cluster.backend.health_check.verify_cluster') >= 2, 'the service name was verified');
});

t.test('HTTP/2 checks, and reuse_connection: false opens a connection per check', async (t) => {
  const seen: { version: string; port: number }[] = [];
  const server = createHttp2Server((req: Http2ServerRequest, res) => {
    seen.push({ version: req.httpVersion, port: req.socket.remotePort ?? 0 });
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port }], { clusterExtra: healthChecks('      reuse_connection: false\n', 'path: /healthz, codec_client_type: HTTP2') }));
  await proxy.waitForStat('cluster.backend.health_check.success', (n) => n >= 3);
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1);
  t.ok(seen.every((s) => s.version === '2.0'), 'checks speak HTTP/2');
  t.equal(new Set(seen.map((s) => s.port)).size, seen.length, 'each check on a new connection');
});

t.test('a kept connection serves check after check', async (t) => {
  const upstream = await checkedUpstream(t, 'A', { status: 200 });
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: upstream.port }], { clusterExtra: healthChecks('') }));
  await proxy.waitForStat('cluster.backend.health_check.success', (n) => n >= 4);
  const ports = new Set(upstream.requests.filter((r) => r.url === '/healthz').map((r) => r.remotePort));
  t.equal(ports.size, 1, 'one connection for every check (reuse_connection defaults to true)');
});

t.test('an internal listener endpoint is checked in the first round', async (t) => {
  const yaml = bootstrap({
    listeners: [internalListener('inner', httpConnectionManager({ statPrefix: 'inner', routeConfig: anyHostRoutes('              - { match: { path: /healthz }, direct_response: { status: 200 } }\n') }))],
    clusters: [cluster('to_inner', [{ internal: 'inner' }], healthChecks(''))],
  });
  const proxy = await startInProcess(t, yaml);
  t.equal(proxy.stat('cluster.to_inner.membership_healthy'), 1, 'healthy as the server starts');
  t.equal(proxy.stat('cluster.to_inner.health_check.failure'), 0);
  t.ok(proxy.stat('http.inner.downstream_rq_2xx') >= 1, 'the check went through the internal listener');
});

t.test('bad health check configs name the field', async (t) => {
  const config = (fields: string, httpCheck = 'path: /healthz') =>
    httpProxyBootstrap([{ port: 1 }], {
      clusterExtra: `    health_checks:\n    - { ${fields} http_health_check: { ${httpCheck} } }\n`,
    });
  const base = 'timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1,';
  t.match(configProblems(config('interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1,')), /health_checks\[0\]: missing required field 'timeout'/);
  t.match(
    configProblems(config(base, 'path: /h, expected_statuses: [{ start: 300, end: 200 }]')),
    /health_checks\[0\]\.http_health_check\.expected_statuses: Invalid http expected status range: expecting start < end, but found start=300 and end=200/,
  );
  t.match(configProblems(config(base, 'path: /h, send: { text: "00" }')), /http_health_check\.send: HTTP health check cannot specify a request payload with method 'GET'/);
  t.match(configProblems(config(base, 'path: /h, receive: [{ text: "zz" }]')), /receive\[0\]\.text: invalid hex string 'zz'/);
  t.match(
    configProblems(httpProxyBootstrap([{ port: 1 }], { clusterExtra: `    health_checks: [{ ${base} }]\n` })),
    /health_checks\[0\]: one of 'http_health_check', 'tcp_health_check', 'grpc_health_check', 'custom_health_check' is required/,
  );
});

