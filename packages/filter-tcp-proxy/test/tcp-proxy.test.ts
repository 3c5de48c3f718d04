// tcp_proxy through the real CLI: connect failures, retries, weighted clusters, timeouts,
// half-close and resets in both directions (spec tcp-proxy-connect.md §1).
import { once } from 'node:events';
import t from 'tap';
import { bootstrap, closedPort, cluster, collect, connectTo, internalListener, seedTopology, startEchoServer, startNodevoy, startTcpServer, tcpListener, tcpProxyFilter, type TcpServer } from '@nodevoy/test-kit';

t.test('a missing internal listener is a connect failure; other connections carry on', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(
    t,
    bootstrap({
      listeners: [
        tcpListener('broken', tcpProxyFilter({ statPrefix: 'broken', cluster: 'to_missing' })),
        tcpListener('working', tcpProxyFilter({ statPrefix: 'working', cluster: 'to_inner' })),
        internalListener('inner', tcpProxyFilter({ statPrefix: 'inner', cluster: 'upstream' })),
      ],
      clusters: [cluster('to_missing', [{ internal: 'no_such_listener' }]), cluster('to_inner', [{ internal: 'inner' }]), cluster('upstream', [{ port: upstream.port }])],
    }),
  );
  const healthy = await connectTo(t, await proxy.admin.listenerPort('working'));
  healthy.write('before ');

  const broken = await connectTo(t, await proxy.admin.listenerPort('broken'));
  const brokenEnd = await collect(broken);
  t.equal(brokenEnd.data.length, 0, 'the client gets nothing');
  t.not(brokenEnd.end, 'reset', 'and is closed, not reset');
  await proxy.admin.waitForStat('cluster.to_missing.upstream_cx_connect_fail', (v) => v === 1);
  t.equal(await proxy.admin.stat('cluster.to_missing.upstream_cx_connect_attempts_exceeded'), 1);
  t.equal(await proxy.admin.stat('listener.envoy_internal_inner.downstream_cx_total'), 1, 'only the healthy connection reached an internal listener');

  const received = collect(healthy);
  healthy.end('after');
  t.equal((await received).data.toString(), 'before after', 'the other connection carried on');
});

t.test('max_connect_attempts retries past a refusing host; exhausting it closes the client', async (t) => {
  const upstream = await startEchoServer(t);
  const dead = await closedPort();
  const config = (attempts: number, ports: number[]) =>
    bootstrap({
      listeners: [tcpListener('in', tcpProxyFilter({ statPrefix: 'in', cluster: 'hosts', extra: `          max_connect_attempts: ${attempts}\n` }))],
      clusters: [cluster('hosts', ports.map((port) => ({ port })), '    connect_timeout: 1s\n')],
    });

  // Round robin starts at a random host (as Envoy's), so the refusing host is tried first or
  // not at all; either way two attempts always reach the live one.
  const retrying = await startNodevoy(t, config(2, [dead, upstream.port]));
  const client = await connectTo(t, await retrying.admin.listenerPort('in'));
  const received = collect(client);
  client.end('second time lucky');
  t.equal((await received).data.toString(), 'second time lucky');
  const fails = (await retrying.admin.stat('cluster.hosts.upstream_cx_connect_fail')) ?? -1;
  t.ok(fails === 0 || fails === 1, `one failure at most (${fails})`);
  t.equal(await retrying.admin.stat('cluster.hosts.upstream_cx_total'), fails + 1, 'every attempt is a connection');

  const giving = await startNodevoy(t, config(3, [dead]));
  const second = await connectTo(t, await giving.admin.listenerPort('in'));
  const end = await collect(second);
  t.equal(end.data.length, 0);
  t.equal(await giving.admin.stat('cluster.hosts.upstream_cx_connect_fail'), 3, 'three attempts');
  t.equal(await giving.admin.stat('cluster.hosts.upstream_cx_connect_attempts_exceeded'), 1);
});

t.test('weighted_clusters spreads connections by weight', async (t) => {
  const tagged = (tag: string) => startTcpServer(t, (socket) => socket.end(tag));
  const a = await tagged('a');
  const b = await tagged('b');
  const proxy = await startNodevoy(
    t,
    bootstrap({
      listeners: [
        tcpListener(
          'in',
          `    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: in
          weighted_clusters:
            clusters:
            - { name: a, weight: 1 }
            - { name: b, weight: 3 }
`,
        ),
      ],
      clusters: [cluster('a', [{ port: a.port }]), cluster('b', [{ port: b.port }])],
    }),
  );
  const port = await proxy.admin.listenerPort('in');
  const N = 400;
  const counts = { a: 0, b: 0 };
  for (let i = 0; i < N; i++) {
    const client = await connectTo(t, port);
    const { data } = await collect(client);
    counts[data.toString() as 'a' | 'b']++;
  }
  t.equal(counts.a + counts.b, N);
  const shareA = counts.a / N;
  t.ok(shareA > 0.15 && shareA < 0.35, `weight 1 of 4 got ${(shareA * 100).toFixed(1)}% (expected 25% +/- 10)`);
  t.equal(await proxy.admin.stat('cluster.a.upstream_cx_total'), counts.a);
  t.equal(await proxy.admin.stat('cluster.b.upstream_cx_total'), counts.b);
});

t.test('idle_timeout on the inner hop closes an idle chain', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(t, seedTopology(upstream.port, { innerExtra: '          idle_timeout: 0.2s\n' }));
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const { data } = await collect(client);
  t.equal(data.length, 0);
  t.equal(await proxy.admin.stat('tcp.inner.idle_timeout'), 1);
  t.equal(await proxy.admin.stat('tcp.outbound.idle_timeout'), 0, 'the outer hop closed because the inner one did');
});

t.test('max_downstream_connection_duration closes a busy connection too', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(t, seedTopology(upstream.port, { outerExtra: '          max_downstream_connection_duration: 0.3s\n' }));
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const ended = collect(client);
  const chatter = setInterval(() => client.writable && client.write('x'), 20);
  t.teardown(() => clearInterval(chatter));
  await ended;
  t.equal(await proxy.admin.stat('tcp.outbound.max_downstream_connection_duration'), 1);
});

t.test('half-close crosses the chain in both orders', async (t) => {
  // Upstream writes first and half-closes; the client keeps sending, then half-closes.
  let upstreamGot = '';
  let upstreamSawFin: () => void;
  const upstreamFin = new Promise<void>((resolve) => (upstreamSawFin = resolve));
  const upstream: TcpServer = await startTcpServer(t, (socket) => {
    socket.end('hell');
    socket.on('data', (d: Buffer) => (upstreamGot += d.toString()));
    socket.on('end', () => upstreamSawFin());
  });
  const proxy = await startNodevoy(t, seedTopology(upstream.port));
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const received = collect(client);
  const fromUpstream = await received;
  t.equal(fromUpstream.data.toString(), 'hell');
  t.equal(fromUpstream.end, 'fin', 'the upstream half-close reached the client');
  client.end('world');
  await upstreamFin;
  t.equal(upstreamGot, 'world', 'the client could still send after the upstream half-closed');
  await proxy.admin.waitForStat('listener.envoy_internal_inner.downstream_cx_destroy', (v) => v === 1);
  await proxy.admin.waitForStat('listener.127.0.0.1_0.downstream_cx_destroy', (v) => v === 1);
});

t.test('a client reset reaches the upstream as a reset', async (t) => {
  const upstream = await startTcpServer(t, (socket) => socket.once('data', () => socket.write('ready')));
  const proxy = await startNodevoy(t, seedTopology(upstream.port));
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  client.write('hello');
  await once(client, 'data');
  const upstreamSocket = await upstream.accepted(0);
  const upstreamEnd = collect(upstreamSocket);
  client.resetAndDestroy();
  t.equal((await upstreamEnd).end, 'reset');
});

t.test('an upstream that refuses the connection: the client is closed and the failure counted', async (t) => {
  const dead = await closedPort();
  const proxy = await startNodevoy(t, seedTopology(dead));
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const { data } = await collect(client);
  t.equal(data.length, 0);
  await proxy.admin.waitForStat('cluster.upstream.upstream_cx_connect_fail', (v) => v === 1);
  t.equal(await proxy.admin.stat('cluster.to_inner.upstream_cx_connect_fail'), 0, 'the internal hop itself connected');
});
