// Maglev (envoy.load_balancing_policies.maglev, lb_policy MAGLEV): the table (every slot filled,
// a key keeps its host, about 1/N of the keys move when one of N hosts leaves, weights), and
// through a real proxy with a route's hash_policy on a query parameter and the source IP.
import t from 'tap';
import { loadXxHash64, xxHash64 } from '@nodevoy/core';
import { configProblems, httpProxyBootstrap, httpRequest, namedReply, startHttpUpstream, startInProcess, testHost } from '@nodevoy/test-kit';
import { MaglevTable } from '../src/maglev-table.js';

const host = (port: number, weight = 1) => testHost(port, { weight });

await loadXxHash64();
const keys = Array.from({ length: 4000 }, (_, i) => xxHash64(`user-${i}`));


t.test('every slot has a host; one of N hosts leaving moves about 1/N of the keys', async (t) => {
  const hosts = Array.from({ length: 5 }, (_, i) => host(8000 + i));
  const table = new MaglevTable(hosts, 65537, false);
  t.ok(table.minEntriesPerHost >= 13107 && table.maxEntriesPerHost <= 13108, 'slots shared evenly');
  const before = keys.map((k) => table.choose(k));
  t.ok(before.every((h) => h !== undefined));
  const after = new MaglevTable(hosts.slice(1), 65537, false);
  const moved = keys.filter((k, i) => after.choose(k) !== before[i]).length / keys.length;
  t.ok(moved > 0.15 && moved < 0.3, `moved ${(moved * 100).toFixed(1)}% of keys (Maglev moves a little more than 1/N)`);
  const rebuilt = new MaglevTable(hosts, 65537, false);
  t.same(keys.map((k) => rebuilt.choose(k)), before, 'the same hosts build the same table');
});

t.test('weights: a host of weight 3 takes about three quarters of the slots', async (t) => {
  const table = new MaglevTable([host(9000, 1), host(9001, 3)], 65537, false);
  t.ok(Math.abs(table.maxEntriesPerHost / 65537 - 0.75) < 0.01, `${table.maxEntriesPerHost} slots`);
});

t.test('through the proxy: a query parameter picks the host, the same one every time', async (t) => {
  const ups = await Promise.all([0, 1, 2].map((i) => startHttpUpstream(t, namedReply(`u${i}`))));
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap(
      ups.map((u) => ({ port: u.port })),
      {
        clusterExtra: '    lb_policy: MAGLEV\n',
        routes: '              - { match: { prefix: / }, route: { cluster: backend, hash_policy: [{ query_parameter: { name: tenant } }] } }\n',
      },
    ),
  );
  const hostOf = async (tenant: string) => (await httpRequest(proxy.port('http'), { path: `/x?a=1&tenant=${tenant}` })).body.split(' ')[0];
  const seen = new Map<string, string | undefined>();
  for (let i = 0; i < 20; i++) seen.set(`t${i}`, await hostOf(`t${i}`));
  for (let i = 0; i < 20; i += 4) t.equal(await hostOf(`t${i}`), seen.get(`t${i}`), `t${i} sticks`);
  t.ok(new Set(seen.values()).size >= 2, 'tenants spread over the hosts');
  t.equal(proxy.stat('cluster.backend.maglev_lb.min_entries_per_host') + proxy.stat('cluster.backend.maglev_lb.max_entries_per_host') >= 43690, true);
});

t.test('a table size that is not prime is refused', async (t) => {
  t.match(configProblems(httpProxyBootstrap([{ port: 1 }], { clusterExtra: '    lb_policy: MAGLEV\n    maglev_lb_config: { table_size: 65536 }\n' })), /table_size: The table size of maglev must be prime number/);
});
