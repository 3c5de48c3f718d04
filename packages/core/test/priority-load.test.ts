// Priority levels as Envoy loads them: a level takes all traffic while healthy enough (over
// 1/1.4 of its hosts), then sheds to the next in proportion (the overprovisioning factor), and
// panics only when the levels together cannot carry the traffic. Checked on the function that
// computes the shares and through a proxy whose level-0 host fails its health check.
import t from 'tap';
import type { Host } from '@nodevoy/core';
import { httpProxyBootstrap, httpRequest, namedReply, startHttpUpstream, startInProcess, testHost } from '@nodevoy/test-kit';
import { priorityShares } from '../src/upstream/priority-load.js';

const host = (port: number, priority: number, healthy = true) => testHost(port, { priority, failed: !healthy });

t.test('shares as Envoy computes them', async (t) => {
  const loads = (hosts: Host[], threshold = 50) => priorityShares(hosts, 140, threshold).map((s) => [s.load, s.hosts.length, s.panic]);
  t.same(loads([host(1, 0), host(2, 0), host(3, 1)]), [[100, 2, false], [0, 1, false]], 'a healthy level 0 takes everything');
  t.same(loads([host(1, 0), host(2, 0, false), host(3, 1)]), [[70, 1, false], [30, 1, false]], 'half of level 0 healthy: 140% x 1/2 = 70% stays there');
  t.same(loads([host(1, 0, false), host(2, 0, false), host(3, 1)]), [[0, 0, false], [100, 1, false]], 'level 0 down: level 1 takes all');
  t.same(loads([host(1, 0), host(2, 0, false), host(3, 0, false)]), [[100, 3, true]], 'one level, a third healthy: panic over all three');
  t.same(loads([host(1, 0), host(2, 0, false), host(3, 0, false)], 0), [[100, 1, false]], 'panic threshold 0: never');
  t.same(loads([host(1, 0, false), host(2, 1, false)]), [[100, 1, true], [0, 1, false]], 'nothing healthy anywhere: level 0 in panic');
});

t.test('through a proxy: a failing level-0 host sheds part of the traffic to level 1', async (t) => {
  const [a, b, backup] = await Promise.all(['a', 'b', 'backup'].map((name) => startHttpUpstream(t, namedReply(name))));
  let bDown = false;
  b!.server.prependListener('request', (req, res) => {
    if (req.url === '/healthz' && bDown) res.statusCode = 503;
  });
  const yaml = httpProxyBootstrap([{ port: a!.port }, { port: b!.port }], {
    clusterExtra: '    health_checks: [{ timeout: 1s, interval: 0.05s, no_traffic_interval: 0.05s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: /healthz } }]\n',
  }).replace(
    /(\n      endpoints:\n      - lb_endpoints:\n(?:        - endpoint:\n            address:\n              socket_address: \{[^}]*\}\n)+)/,
    `$1      - priority: 1\n        lb_endpoints:\n        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${backup!.port} } } }\n`,
  );
  const proxy = await startInProcess(t, yaml);
  const served = async (n: number) => {
    const count = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const name = (await httpRequest(proxy.port('http'), { path: '/work' })).body.split(' ')[0] as string;
      count.set(name, (count.get(name) ?? 0) + 1);
    }
    return count;
  };
  const healthy = await served(40);
  t.equal(healthy.get('backup'), undefined, 'with level 0 healthy, the backup takes nothing');
  bDown = true;
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 2);
  const degraded = await served(200);
  t.equal(degraded.get('b'), undefined, 'the failed host takes nothing');
  t.ok((degraded.get('backup') ?? 0) > 20 && (degraded.get('a') ?? 0) > 100, `about 70% to a, 30% to the backup (${JSON.stringify([...degraded])})`);
});
