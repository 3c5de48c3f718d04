// Outlier detection (passive health checking) with real upstreams that fail as production ones
// do: a run of 5xx or of refused connections ejects a host, which comes back after its ejection
// time or when an active check passes; max_ejection_percent caps ejections; success-rate and
// failure-percentage checks compare hosts per interval. Every transition is awaited via stats.
import t from 'tap';
import {
  AdminClient,
  askOnce,
  bootstrap,
  closedPort,
  cluster,
  configProblems,
  httpProxyBootstrap,
  httpRequest,
  startHttpUpstream,
  startInProcess,
  startTaggedEchoServer,
  tcpListener,
  tcpProxyFilter,
  type InProcessNodevoy,
  type TestLike,
} from '@nodevoy/test-kit';

/** An upstream that answers every request with `status` and its name. */
const answering = (t: TestLike, name: string, status: () => number) =>
  startHttpUpstream(t, (request, response) => {
    response.statusCode = request.url === '/healthz' ? 200 : status();
    response.end(name);
  });

const outlier = (fields: string) => `    outlier_detection: { ${fields} }\n`;

async function flags(proxy: InProcessNodevoy): Promise<string[]> {
  const admin = new AdminClient((proxy.server.adminAddress as { asString: string }).asString);
  return (await admin.get('/clusters')).body
    .split('\n')
    .filter((line) => line.includes('::health_flags::'))
    .map((line) => line.replace(/127\.0\.0\.1:\d+/, 'host'));
}

/** Sends requests until `stat` reaches `value` (each one is a chance for the detector to see an error). */
async function requestUntil(proxy: InProcessNodevoy, stat: string, value: number, max = 200): Promise<void> {
  for (let i = 0; i < max && proxy.stat(stat) < value; i++) await httpRequest(proxy.port('http'), { path: '/x' });
  if (proxy.stat(stat) < value) throw new Error(`${stat} stayed at ${proxy.stat(stat)}`);
}

async function bodies(proxy: InProcessNodevoy, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push((await httpRequest(proxy.port('http'), { path: '/x' })).body);
  return out;
}

t.test('consecutive 5xx eject a host; it comes back after base_ejection_time', async (t) => {
  const [bad, good] = [await answering(t, 'bad', () => 503), await answering(t, 'good', () => 200)];
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: bad.port }, { port: good.port }], {
      clusterExtra: outlier('consecutive_5xx: 3, interval: 0.05s, base_ejection_time: 0.3s, max_ejection_percent: 50'),
    }),
  );
  await requestUntil(proxy, 'cluster.backend.outlier_detection.ejections_enforced_consecutive_5xx', 1);
  t.equal(proxy.stat('cluster.backend.outlier_detection.ejections_active'), 1);
  t.equal(proxy.stat('cluster.backend.outlier_detection.ejections_detected_consecutive_5xx'), 1);
  t.equal(proxy.stat('cluster.backend.outlier_detection.ejections_enforced_total'), 1);
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 1);
  t.same(await flags(proxy), ['backend::host::health_flags::/failed_outlier_check', 'backend::host::health_flags::healthy']);
  t.same(new Set(await bodies(proxy, 6)), new Set(['good']), 'the ejected host takes no requests');
  await proxy.waitForStat('cluster.backend.outlier_detection.ejections_active', (n) => n === 0);
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 2, 'back after its ejection time');
});

t.test('max_ejection_percent (10% by default) keeps one of two hosts in', async (t) => {
  const [bad, good] = [await answering(t, 'bad', () => 500), await answering(t, 'good', () => 200)];
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: bad.port }, { port: good.port }], { clusterExtra: outlier('consecutive_5xx: 2') }));
  await requestUntil(proxy, 'cluster.backend.outlier_detection.ejections_overflow', 1);
  t.equal(proxy.stat('cluster.backend.outlier_detection.ejections_active'), 0);
  t.equal(proxy.stat('cluster.backend.outlier_detection.ejections_detected_consecutive_5xx'), 1, 'detected, but not enforced');
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 2);
});

t.test('gateway failures are detected, enforced only when enforcing_consecutive_gateway_failure says so', async (t) => {
  const [bad, good] = [await answering(t, 'bad', () => 502), await answering(t, 'good', () => 200)];
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: bad.port }, { port: good.port }], {
      clusterExtra: outlier('consecutive_5xx: 1000, consecutive_gateway_failure: 2, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 50, base_ejection_time: 3600s'),
    }),
  );
  await requestUntil(proxy, 'cluster.backend.outlier_detection.ejections_enforced_consecutive_gateway_failure', 1);
  t.equal(proxy.stat('cluster.backend.outlier_detection.ejections_active'), 1);
  t.same(new Set(await bodies(proxy, 4)), new Set(['good']));
});

const tcpProxyTo = (ports: readonly number[], fields: string) =>
  bootstrap({
    listeners: [tcpListener('tcp', tcpProxyFilter({ statPrefix: 'tcp', cluster: 'backend' }))],
    clusters: [cluster('backend', ports.map((port) => ({ port })), outlier(fields))],
  });

t.test('refused connections from tcp_proxy count as 5xx, or as local-origin failures when split', async (t) => {
  for (const [fields, stat] of [
    ['consecutive_5xx: 2, max_ejection_percent: 50, base_ejection_time: 3600s', 'ejections_enforced_consecutive_5xx'],
    ['split_external_local_origin_errors: true, consecutive_local_origin_failure: 2, max_ejection_percent: 50, base_ejection_time: 3600s', 'ejections_enforced_consecutive_local_origin_failure'],
  ] as const) {
    await t.test(stat, async (t) => {
      const echo = await startTaggedEchoServer(t, 'up:');
      const proxy = await startInProcess(t, tcpProxyTo([await closedPort(), echo.port], fields));
      for (let i = 0; i < 50 && proxy.stat(`cluster.backend.outlier_detection.${stat}`) < 1; i++) await askOnce(t, proxy.port('tcp'), 'x', 3);
      t.equal(proxy.stat(`cluster.backend.outlier_detection.${stat}`), 1);
      for (let i = 0; i < 4; i++) t.equal(await askOnce(t, proxy.port('tcp'), `q${i}`, 5), `up:q${i}`, 'only the live host is tried');
    });
  }
});

t.test('a passing active health check brings an ejected host back', async (t) => {
  let status = 503;
  const [flaky, good] = [await answering(t, 'flaky', () => status), await answering(t, 'good', () => 200)];
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap([{ port: flaky.port }, { port: good.port }], {
      clusterExtra:
        outlier('consecutive_5xx: 2, max_ejection_percent: 50, base_ejection_time: 3600s') +
        `    health_checks: [{ timeout: 1s, interval: 0.05s, no_traffic_interval: 0.05s, unhealthy_threshold: 2, healthy_threshold: 2, http_health_check: { path: /healthz } }]\n`,
    }),
  );
  await requestUntil(proxy, 'cluster.backend.outlier_detection.ejections_enforced_total', 1);
  status = 200;
  await proxy.waitForStat('cluster.backend.outlier_detection.ejections_active', (n) => n === 0);
  t.equal(proxy.stat('cluster.backend.membership_healthy'), 2, 'back long before its hour is up');
});

t.test('success rate and failure percentage compare hosts over an interval', async (t) => {
  for (const [fields, stat] of [
    ['success_rate_minimum_hosts: 2, success_rate_request_volume: 10, success_rate_stdev_factor: 500', 'ejections_enforced_success_rate'],
    ['enforcing_success_rate: 0, failure_percentage_minimum_hosts: 2, failure_percentage_request_volume: 10, failure_percentage_threshold: 50, enforcing_failure_percentage: 100', 'ejections_enforced_failure_percentage'],
  ] as const) {
    await t.test(stat, async (t) => {
      const [bad, good] = [await answering(t, 'bad', () => 500), await answering(t, 'good', () => 200)];
      const proxy = await startInProcess(
        t,
        httpProxyBootstrap([{ port: bad.port }, { port: good.port }], {
          clusterExtra: outlier(`consecutive_5xx: 1000, interval: 0.2s, base_ejection_time: 3600s, max_ejection_percent: 50, ${fields}`),
        }),
      );
      await requestUntil(proxy, `cluster.backend.outlier_detection.${stat}`, 1, 2000);
      t.equal(proxy.stat('cluster.backend.outlier_detection.ejections_active'), 1);
      t.same(new Set(await bodies(proxy, 4)), new Set(['good']));
    });
  }
});

t.test('bad outlier detection configs name the field', async (t) => {
  const config = (fields: string) => httpProxyBootstrap([{ port: 1 }], { clusterExtra: outlier(fields) });
  t.match(configProblems(config('base_ejection_time: 60s, max_ejection_time: 10s')), /outlier_detection\.max_ejection_time: outlier detector's max_ejection_time cannot be smaller than base_ejection_time/);
  t.match(configProblems(config('max_ejection_percent: 101')), /outlier_detection\.max_ejection_percent: /);
});
