// Ring hash (envoy.load_balancing_policies.ring_hash, lb_policy RING_HASH): the ring itself
// (a key keeps its host while the set is stable; when one of N hosts leaves only about 1/N of
// the keys move; weights are honoured), and through a real proxy with a route's hash_policy
// (a header, a generated cookie), where a host failing its health check moves only its own keys.
import t from 'tap';
import { loadXxHash64, xxHash64 } from '@nodevoy/core';
import {
  askOnce,
  bootstrap,
  cluster,
  configProblems,
  httpProxyBootstrap,
  httpRequest,
  namedReply,
  startHttpUpstream,
  startInProcess,
  startTaggedEchoServer,
  tcpListener,
  testHost,
  tcpProxyFilter,
  type TestLike,
} from '@nodevoy/test-kit';
import { Ring } from '../src/ring.js';

const host = (port: number, weight = 1) => testHost(port, { weight });

await loadXxHash64();
const keys = Array.from({ length: 4000 }, (_, i) => xxHash64(`user-${i}`));


t.test('a key keeps its host; one of N hosts leaving moves about 1/N of the keys', async (t) => {
  const hosts = Array.from({ length: 5 }, (_, i) => host(8000 + i));
  const ring = new Ring(hosts, 1024, 8 * 1024 * 1024, false);
  t.equal(ring.size, 1025, 'the lightest host gets a whole number of hashes: ceil(0.2 * 1024) / 0.2');
  const before = keys.map((k) => ring.choose(k));
  t.same(keys.map((k) => new Ring(hosts, 1024, 8 * 1024 * 1024, false).choose(k)), before, 'rebuilt from the same hosts: the same choices');
  const after = new Ring(hosts.slice(1), 1024, 8 * 1024 * 1024, false);
  // The leaving host's fifth moves; and since the ring keeps its size, each remaining host gets
  // a quarter of it instead of a fifth: its new points take a few keys from the others, as in
  // Envoy (about 1/N + (1 - 1/N) / N x (N - 2) / (N - 1), some 30% for N = 5). Maglev moves less.
  const moved = keys.filter((k, i) => after.choose(k) !== before[i]).length;
  const share = moved / keys.length;
  t.ok(share > 0.15 && share < 0.35, `moved ${(share * 100).toFixed(1)}% of keys`);
});

t.test('weights: a host of weight 3 takes about three times the keys', async (t) => {
  const hosts = [host(9000, 1), host(9001, 3)];
  const ring = new Ring(hosts, 1024, 8 * 1024 * 1024, false);
  const heavy = keys.filter((k) => ring.choose(k) === hosts[1]).length / keys.length;
  t.ok(heavy > 0.68 && heavy < 0.82, `the heavy host took ${(heavy * 100).toFixed(1)}%`);
  t.equal(ring.minHashesPerHost, 256, 'the light host: a quarter of the minimum ring');
  t.equal(ring.maxHashesPerHost, 768);
});

/** Upstreams that say who they are. */
async function upstreams(t: TestLike, count: number) {
  return Promise.all(Array.from({ length: count }, (_, i) => startHttpUpstream(t, namedReply(`u${i}`))));
}

const healthChecked = `    health_checks: [{ timeout: 1s, interval: 0.05s, no_traffic_interval: 0.05s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: /healthz } }]\n`;

t.test('through the proxy: the same x-user always reaches the same host; a failed host’s users move, the others mostly stay', async (t) => {
  const ups = await upstreams(t, 3);
  let down = '';
  for (const up of ups) {
    up.server.prependListener('request', (req, res) => {
      if (req.url === '/healthz' && `u${ups.indexOf(up)}` === down) {
        res.statusCode = 503;
      }
    });
  }
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap(
      ups.map((u) => ({ port: u.port })),
      {
        clusterExtra: `    lb_policy: RING_HASH\n${healthChecked}`,
        routes: '              - { match: { prefix: / }, route: { cluster: backend, hash_policy: [{ header: { header_name: x-user } }] } }\n',
      },
    ),
  );
  const hostOf = async (user: string) => (await httpRequest(proxy.port('http'), { path: '/', headers: { 'x-user': user } })).body.split(' ')[0] as string;
  const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
  const first = new Map<string, string>();
  for (const user of users) first.set(user, await hostOf(user));
  for (const user of users.slice(0, 10)) t.equal(await hostOf(user), first.get(user), `${user} sticks`);
  t.ok(new Set(first.values()).size >= 2, 'users spread over the hosts');
  t.ok(proxy.stat('cluster.backend.ring_hash_lb.size') >= 1024);

  down = first.get('user-0') as string;
  await proxy.waitForStat('cluster.backend.membership_healthy', (n) => n === 2);
  let stayed = 0;
  let others = 0;
  for (const user of users) {
    const now = await hostOf(user);
    if (first.get(user) === down) t.not(now, down, `${user} moved off the failed host`);
    else {
      others++;
      if (now === first.get(user)) stayed++;
    }
  }
  // The ring keeps its size, so the live hosts get new points and some of their users move too
  // (about a quarter, varying with the random ports the hosts hash by); a balancer that
  // ignored the ring would keep only half of them with two hosts left.
  t.ok(stayed >= others * 0.6, `${stayed} of ${others} users of the live hosts stayed where they were`);
});

t.test('a cookie with a ttl is set when missing, and then keeps the client on its host', async (t) => {
  const ups = await upstreams(t, 3);
  const proxy = await startInProcess(
    t,
    httpProxyBootstrap(
      ups.map((u) => ({ port: u.port })),
      {
        clusterExtra: '    lb_policy: RING_HASH\n',
        routes: '              - { match: { prefix: / }, route: { cluster: backend, hash_policy: [{ cookie: { name: sticky, ttl: 3600s, path: /app } }] } }\n',
      },
    ),
  );
  const first = await httpRequest(proxy.port('http'), { path: '/app' });
  const setCookie = first.headers['set-cookie']?.[0] ?? '';
  t.match(setCookie, /^sticky="[0-9a-f]{16}"; Max-Age=3600; Path=\/app; HttpOnly$/);
  const cookie = setCookie.split(';')[0] as string;
  for (let i = 0; i < 5; i++) {
    const again = await httpRequest(proxy.port('http'), { path: '/app', headers: { cookie } });
    t.equal(again.body.split(' ')[0], first.body.split(' ')[0], 'the cookie keeps the client on its host');
    t.equal(again.headers['set-cookie'], undefined, 'no new cookie once the client has one');
  }
});

t.test('bad ring hash configs name the field', async (t) => {
  const config = (extra: string) => httpProxyBootstrap([{ port: 1 }], { clusterExtra: extra });
  t.match(configProblems(config('    lb_policy: RING_HASH\n    ring_hash_lb_config: { minimum_ring_size: 4096, maximum_ring_size: 1024 }\n')), /ring hash: minimum_ring_size \(4096\) > maximum_ring_size \(1024\)/);
  t.match(configProblems(config('    lb_policy: RING_HASH\n    ring_hash_lb_config: { hash_function: MURMUR_HASH_2 }\n')), /hash_function/);
});

t.test('tcp_proxy hashes a connection by its source IP: every connection from 127.0.0.1 reaches one host', async (t) => {
  const echoes = await Promise.all(['a', 'b', 'c'].map((tag) => startTaggedEchoServer(t, `${tag}:`)));
  const proxy = await startInProcess(
    t,
    bootstrap({
      listeners: [tcpListener('tcp', tcpProxyFilter({ statPrefix: 'tcp', cluster: 'backend', extra: '          hash_policy: [{ source_ip: {} }]\n' }))],
      clusters: [cluster('backend', echoes.map((e) => ({ port: e.port })), '    lb_policy: RING_HASH\n')],
    }),
  );
  const replies = new Set<string>();
  for (let i = 0; i < 6; i++) replies.add((await askOnce(t, proxy.port('tcp'), 'x', 3)).slice(0, 1));
  t.equal(replies.size, 1, `one host for one source IP (${[...replies].join()})`);
});
