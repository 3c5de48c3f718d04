// Listener addressing and filter-chain matching, drain on shutdown, DNS clusters and connect
// timeouts, through the real CLI.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ADMIN, INTERNAL_LISTENER_BOOTSTRAP, bootstrap, cluster, collect, connectTo, internalListener, runNodevoy, seedTopology, startEchoServer, startNodevoy, startTcpServer, tcpListener, tcpProxyFilter, waitFor } from '@nodevoy/test-kit';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '::');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Connects from/to a given address and returns what the upstream chosen says. */
async function answerFrom(t: Test, host: string, port: number): Promise<string> {
  const socket = connect({ host, port });
  t.teardown(() => socket.destroy());
  return (await collect(socket)).data.toString();
}

t.test('filter_chain_match picks the most specific chain; default_filter_chain catches the rest', async (t) => {
  // Envoy matches level by level, destination port first: once chains name this port, chains
  // without a port are out of the running, so both chains here name it.
  const says = async (word: string) => (await startTcpServer(t, (s) => s.end(word))).port;
  const [six, four, fallback] = [await says('six'), await says('four'), await says('fallback')];
  const port = await freePort();
  const chain = (match: string, clusterName: string) => `    - filter_chain_match: ${match}
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: ${clusterName}
          cluster: ${clusterName}
`;
  const config = `${ADMIN}static_resources:
  listeners:
  - name: dual
    address:
      socket_address: { address: "::", port_value: ${port} }
    filter_chains:
${chain(`{ destination_port: ${port}, prefix_ranges: [{ address_prefix: "::1", prefix_len: 128 }] }`, 'six')}${chain(
    `{ destination_port: ${port}, prefix_ranges: [{ address_prefix: 127.0.0.1, prefix_len: 32 }] }`,
    'four',
  )}    default_filter_chain:
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: fallback
          cluster: fallback
  clusters:
${cluster('six', [{ port: six }])}${cluster('four', [{ port: four }])}${cluster('fallback', [{ port: fallback }])}`;
  const proxy = await startNodevoy(t, config);
  t.equal(await answerFrom(t, '::1', port), 'six', 'IPv6 loopback matched the chain with its prefix and port');
  t.equal(await answerFrom(t, '127.0.0.1', port), 'four', 'IPv4 (v4-mapped on a dual-stack listener) matched the /32');
  t.equal(await answerFrom(t, '127.0.0.2', port), 'fallback', 'nothing matched: default_filter_chain');
  t.equal(await proxy.admin.stat(`listener.[__]_${port}.downstream_cx_total`), 3, 'IPv6 listener stats are named like Envoy names them');
});

t.test('an IPv6 listener on port 0 shows its bound port in /listeners', async (t) => {
  const upstream = await startEchoServer(t);
  const config = bootstrap({
    listeners: [
      `  - name: v6
    address:
      socket_address: { address: "::1", port_value: 0 }
${tcpProxyFilter({ statPrefix: 'v6', cluster: 'echo' })}`,
    ],
    clusters: [cluster('echo', [{ port: upstream.port }])],
  });
  const proxy = await startNodevoy(t, config);
  const port = await proxy.admin.listenerPort('v6');
  t.match((await proxy.admin.get('/listeners')).body, `v6::[::1]:${port}`);
  const socket = connect({ host: '::1', port });
  const received = collect(socket);
  socket.end('over IPv6');
  t.equal((await received).data.toString(), 'over IPv6');
  t.equal(await proxy.admin.stat('listener.[__1]_0.downstream_cx_total'), 1);
});

t.test('no filter chain matches on an internal listener: counted, and a connect failure upstream', async (t) => {
  const upstream = await startEchoServer(t);
  const config = bootstrap({
    listeners: [
      tcpListener('outbound', tcpProxyFilter({ statPrefix: 'outbound', cluster: 'to_inner' })),
      internalListener(
        'inner',
        `    filter_chains:
    - filter_chain_match: { destination_port: 8080 }
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: inner
          cluster: upstream
`,
      ),
    ],
    clusters: [cluster('to_inner', [{ internal: 'inner' }]), cluster('upstream', [{ port: upstream.port }])],
  });
  const proxy = await startNodevoy(t, config);
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const { data } = await collect(client);
  t.equal(data.length, 0, 'the client is disconnected');
  t.equal(await proxy.admin.stat('listener.envoy_internal_inner.no_filter_chain_match'), 1);
  t.equal(await proxy.admin.stat('listener.envoy_internal_inner.downstream_cx_total'), 0);
  t.equal(await proxy.admin.stat('cluster.to_inner.upstream_cx_connect_fail'), 1);
});

t.test('SIGTERM drains: no new connections, open ones finish, then exit 0', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(t, seedTopology(upstream.port), { args: ['--drain-time-s', '30'] });
  const port = await proxy.admin.listenerPort('outbound');
  const client = await connectTo(t, port);
  client.write('before ');
  await once(client, 'data');
  const exited = new Promise<number | null>((resolve) => proxy.child.once('exit', resolve));
  proxy.child.kill('SIGTERM');
  await waitFor(
    () =>
      new Promise<true | undefined>((resolve) => {
        const probe = connect({ host: '127.0.0.1', port });
        probe.once('connect', () => (probe.destroy(), resolve(undefined)));
        probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? true : undefined));
      }),
  );
  t.pass('the listener stopped accepting');
  const received = collect(client);
  client.end('after');
  t.equal((await received).data.toString(), 'after', 'the open connection carried on through the drain');
  t.equal(await exited, 0, 'and the server exited 0 once it was done');
});

t.test('the drain time bounds the wait: idle connections are closed and the server exits 0', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(t, seedTopology(upstream.port), { args: ['--drain-time-s', '1'] });
  const client = await connectTo(t, await proxy.admin.listenerPort('outbound'));
  const ended = collect(client);
  t.equal(await proxy.stop('SIGTERM'), 0);
  await ended;
  t.pass('the idle connection was closed at the end of the drain');
});

t.test('STRICT_DNS and LOGICAL_DNS clusters resolve names', async (t) => {
  const upstream = await startEchoServer(t);
  for (const type of ['STRICT_DNS', 'LOGICAL_DNS']) {
    const config = bootstrap({
      listeners: [tcpListener('in', tcpProxyFilter({ statPrefix: 'in', cluster: 'named' }))],
      clusters: [
        `  - name: named
    type: ${type}
    dns_lookup_family: V4_ONLY
    load_assignment:
      cluster_name: named
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: localhost, port_value: ${upstream.port} }
`,
      ],
    });
    const proxy = await startNodevoy(t, config);
    const client = await connectTo(t, await proxy.admin.listenerPort('in'));
    const received = collect(client);
    client.end(type);
    t.equal((await received).data.toString(), type);
    t.match((await proxy.admin.get('/clusters')).body, `named::127.0.0.1:${upstream.port}::hostname::localhost`);
  }
});

t.test('STATIC clusters need IP addresses, as in Envoy', async (t) => {
  const config = bootstrap({ listeners: [], clusters: [cluster('c', [{ port: 1 }]).replace('127.0.0.1', 'localhost')] });
  const dir = t.testdir({ 'config.yaml': config });
  const result = await runNodevoy(['-c', `${dir}/config.yaml`, '--mode', 'validate']);
  t.equal(result.code, 1);
  t.match(result.stderr, /static_resources\.clusters\[0\]\.load_assignment\.endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.address: malformed IP address: localhost/);
});

t.test('connect_timeout: an upstream that never completes the handshake', async (t) => {
  // A real hung server: it listens with a backlog of 1 and then blocks its event loop, so the
  // kernel queues one connection and drops the SYNs after it.
  const hung = spawn(
    process.execPath,
    ['-e', "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{process.stdout.write(s.address().port+'\\n');setImmediate(()=>{for(;;){}})})"],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  t.teardown(() => hung.kill('SIGKILL'));
  const [line] = (await once(hung.stdout, 'data')) as [Buffer];
  const hungPort = Number(line.toString().trim());
  const fillers = Array.from({ length: 4 }, () => connect({ host: '127.0.0.1', port: hungPort }).on('error', () => {}));
  t.teardown(() => fillers.forEach((s) => s.destroy()));
  await once(fillers[0]!, 'connect');

  const config = bootstrap({
    listeners: [tcpListener('in', tcpProxyFilter({ statPrefix: 'in', cluster: 'hung' }))],
    clusters: [cluster('hung', [{ port: hungPort }], '    connect_timeout: 0.5s\n')],
  });
  const proxy = await startNodevoy(t, config);
  const client = await connectTo(t, await proxy.admin.listenerPort('in'));
  const { data } = await collect(client);
  t.equal(data.length, 0, 'the client is closed');
  t.equal(await proxy.admin.stat('cluster.hung.upstream_cx_connect_timeout'), 1);
  t.equal(await proxy.admin.stat('cluster.hung.upstream_cx_connect_fail'), 1);
});

t.test('--version prints the build version', async (t) => {
  const result = await runNodevoy(['--version']);
  t.equal(result.code, 0);
  t.match(result.stdout, /^nodevoy {2}version: nodevoy\/0\.1\.0\/Clean\/RELEASE\/node-v\d+/);
});

t.test('an unknown flag is refused', async (t) => {
  const result = await runNodevoy(['--no-such-flag']);
  t.not(result.code, 0);
  t.match(result.stderr, /unknown option '--no-such-flag'/);
});

t.test('a listener port already in use fails startup with a clear message', async (t) => {
  const taken = await startTcpServer(t);
  const config = `${ADMIN}static_resources:
  listeners:
  - name: clash
    address:
      socket_address: { address: 127.0.0.1, port_value: ${taken.port} }
${tcpProxyFilter({ statPrefix: 'x', cluster: 'c' })}  clusters:
${cluster('c', [{ port: 1 }])}${INTERNAL_LISTENER_BOOTSTRAP()}`;
  const dir = t.testdir({ 'config.yaml': config });
  const result = await runNodevoy(['-c', `${dir}/config.yaml`]);
  t.equal(result.code, 1);
  t.match(result.stderr, `cannot bind '127.0.0.1:${taken.port}': Address already in use`);
});
