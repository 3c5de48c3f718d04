import { once } from 'node:events';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { envoyConfig } from '../../../test-support/envoy-configs.js';
import { collect, connectTo, curl, http2Session, namedReply, readHttp1Responses, startEchoServer, startHttpUpstream, startNodevoy, type TestLike } from '@nodevoy/test-kit';

/**
 * The seed document's real-world use cases, run from Envoy's own example configs: HTTP
 * encapsulated in an upstream CONNECT (HCM -> internal listener -> tcp_proxy tunneling_config)
 * and CONNECT decapsulation (an HCM terminates CONNECT into an internal listener running a
 * second HCM), with real curl and node:http2 peers.
 */

async function startDecapH2(t: TestLike) {
  const proxy = await startNodevoy(t, envoyConfig('terminate_http_in_http2_connect.yaml', [['port_value: 10001', 'port_value: 0']]), {
    addAdmin: true,
  });
  return { proxy, port: await proxy.admin.listenerPort('listener_0') };
}

async function startEncapH2(t: TestLike, decapPort: number) {
  const proxy = await startNodevoy(
    t,
    envoyConfig('encapsulate_http_in_http2_connect.yaml', [
      ['port_value: 10000', 'port_value: 0'],
      ['port_value: 10001', `port_value: ${decapPort}`],
    ]),
    { addAdmin: true },
  );
  return { proxy, port: await proxy.admin.listenerPort('http') };
}

t.test('HTTP in HTTP/2 CONNECT: encapsulating and terminating proxies (two processes)', async (t) => {
  const decap = await startDecapH2(t);
  const encap = await startEncapH2(t, decap.port);

  t.test('a GET through both proxies gets the decapsulating side\'s direct response', async (t) => {
    const result = await curl(['-i', `http://127.0.0.1:${encap.port}/`]);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    t.match(result.stdout, /\r\n\r\nHello, world!\n$/);
  });

  t.test('three requests on one keep-alive client connection all arrive', async (t) => {
    const url = `http://127.0.0.1:${encap.port}/`;
    const result = await curl(['-w', '[%{http_code}]', url, url, url]);
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, 'Hello, world!\n[200]'.repeat(3));
  });

  t.test('concurrent requests get their own tunnels, multiplexed on one HTTP/2 connection', async (t) => {
    const before = (await encap.proxy.admin.stat('cluster.encap_cluster.upstream_rq_total')) ?? 0;
    // A request whose body has not finished keeps its pooled connection (and so its tunnel)
    // busy: two such requests at once need two connections, so two tunnels.
    const clients = await Promise.all(
      [1, 2].map(async () => {
        const client = await connectTo(t, encap.port);
        const received = collect(client);
        client.write('POST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nConnection: close\r\n\r\nab');
        return { client, received };
      }),
    );
    await encap.proxy.admin.waitForStat('cluster.encap_cluster.upstream_rq_total', (v) => v === before + 2);
    for (const { client } of clients) client.write('cde');
    for (const { received } of clients) t.match((await received).data.toString(), /^HTTP\/1\.1 200 OK\r\n[^]*Hello, world!\n$/);
    const stats = await encap.proxy.admin.stats();
    const tunnels = stats.get('cluster.cluster_0.upstream_rq_total') ?? 0;
    t.ok(tunnels >= 2, `a tunnel per busy connection (${tunnels} tunnels)`);
    t.equal(stats.get('cluster.cluster_0.upstream_cx_http2_total'), 1, 'every tunnel is a stream on one HTTP/2 connection');
    t.equal(stats.get('cluster.encap_cluster.upstream_cx_total'), tunnels, 'one tunnel per internal connection into the encap listener');
    t.equal(stats.get('tcp.tcp_stats.downstream_cx_total'), tunnels);
    const decapStats = await decap.proxy.admin.stats();
    t.equal(decapStats.get('http.ingress_http.downstream_cx_http2_total'), 1);
    t.equal(decapStats.get('http.ingress_http.downstream_cx_upgrades_total'), tunnels, 'each CONNECT was terminated');
    t.equal(decapStats.get('cluster.decap_cluster.upstream_cx_total'), tunnels, 'each terminated CONNECT opened one internal connection');
  });
});

t.test('the same chain in one process: every hop an internal listener', async (t) => {
  const encap = parse(envoyConfig('encapsulate_http_in_http2_connect.yaml', [['port_value: 10000', 'port_value: 0']])) as Bootstrap;
  const decap = parse(envoyConfig('terminate_http_in_http2_connect.yaml', [])) as Bootstrap;
  const terminating = decap.static_resources.listeners.find((l) => l.name === 'listener_0');
  const toTerminating = encap.static_resources.clusters.find((c) => c.name === 'cluster_0');
  if (!terminating || !toTerminating) throw new Error('configs changed: listener_0 or cluster_0 is missing');
  delete terminating.address;
  terminating.internal_listener = {};
  toTerminating.load_assignment = {
    cluster_name: 'cluster_0',
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: 'listener_0' } } } }] }],
  };
  const merged = {
    ...encap,
    static_resources: {
      listeners: [...encap.static_resources.listeners, ...decap.static_resources.listeners],
      clusters: [...encap.static_resources.clusters, ...decap.static_resources.clusters],
    },
  };
  const proxy = await startNodevoy(t, stringify(merged), { addAdmin: true });
  const port = await proxy.admin.listenerPort('http');
  const result = await curl(['-w', '[%{http_code}]', `http://127.0.0.1:${port}/a`, `http://127.0.0.1:${port}/b`]);
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, 'Hello, world!\n[200]'.repeat(2));
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.cluster_0.upstream_cx_http2_total'), 1, 'HTTP/2 CONNECT over an internal connection');
  t.equal(stats.get('http.ingress_http.downstream_cx_http2_total'), 1, 'the terminating HCM (sharing the stat prefix) saw HTTP/2');
  t.equal(stats.get('cluster.encap_cluster.upstream_cx_total'), 1, 'one client connection, one tunnel');
  t.equal(stats.get('cluster.decap_cluster.upstream_cx_total'), 1, 'one tunnel, one connection into the decap listener');
});

interface Bootstrap {
  static_resources: { listeners: Record<string, unknown>[]; clusters: Record<string, unknown>[] };
  [key: string]: unknown;
}

t.test('TCP in HTTP/1.1 CONNECT: encapsulate_in_http1_connect.yaml and terminate_http1_connect.yaml', async (t) => {
  const echo = await startEchoServer(t);
  const notGoogle = await startHttpUpstream(t, namedReply('google'));
  const named = await startHttpUpstream(t, namedReply('named'));
  const terminator = await startNodevoy(
    t,
    envoyConfig('terminate_http1_connect.yaml', [
      ['port_value: 9902', 'port_value: 0'],
      ['port_value: 10001', 'port_value: 0'],
      // service_google stands in for the internet: a local upstream, reached through DNS.
      ['address: www.google.com', 'address: localhost'],
      ['port_value: 443', `port_value: ${notGoogle.port}`],
    ]),
  );
  const terminatorPort = await terminator.admin.listenerPort('listener_0');
  const encapsulator = await startNodevoy(
    t,
    envoyConfig('encapsulate_in_http1_connect.yaml', [
      ['port_value: 9903', 'port_value: 0'],
      ['port_value: 10000', 'port_value: 0'],
      ['port_value: 10002', 'port_value: 0'],
      ['port_value: 10001', `port_value: ${terminatorPort}`],
      ['hostname: 127.0.0.1:10003', `hostname: 127.0.0.1:${echo.port}`],
    ]),
  );

  t.test('listener_1 adds foo: bar, so the terminator connects to the CONNECT authority (ORIGINAL_DST)', async (t) => {
    const client = await connectTo(t, await encapsulator.admin.listenerPort('listener_1'));
    const received = collect(client);
    client.write('ping over HTTP/1.1 CONNECT');
    // The echo coming back proves the tunnel works both ways; only then does the client end.
    await once(client, 'data');
    client.end();
    const { data } = await received;
    t.equal(data.toString(), 'ping over HTTP/1.1 CONNECT');
    const stats = await terminator.admin.stats();
    t.equal(stats.get('cluster.local_original_dst.upstream_cx_total'), 1);
    t.equal(stats.get('cluster.local_original_dst.membership_total'), 1, 'the destination became a host of the cluster');
    const encapStats = await encapsulator.admin.stats();
    t.equal(encapStats.get('cluster.cluster_0.upstream_cx_http1_total'), 1, 'HTTP/1.1 CONNECT, as the protocol options ask');
  });

  t.test('listener_0 sends no foo header: the terminator routes to service_google', async (t) => {
    const client = await connectTo(t, await encapsulator.admin.listenerPort('listener_0'));
    const received = collect(client);
    client.write('GET /search HTTP/1.1\r\nHost: www.google.com\r\nConnection: close\r\n\r\n');
    const { data } = await received;
    t.match(data.toString(), /^HTTP\/1\.1 200 OK\r\n/);
    t.match(data.toString(), /google GET \/search$/);
    t.equal(notGoogle.requests[0]?.headers.host, 'www.google.com', 'the tunnelled request is untouched');
  });

  t.test('curl -p -x with --proxy-header "foo: bar": the terminator connects to the CONNECT authority', async (t) => {
    const result = await curl(['-p', '-x', `127.0.0.1:${terminatorPort}`, '--proxy-header', 'foo: bar', '-w', '[%{http_code}]', `http://127.0.0.1:${named.port}/direct`]);
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, 'named GET /direct[200]');
  });

  t.test('curl -p -x without the header: the tunnel leads to service_google, whatever the authority', async (t) => {
    const result = await curl(['-p', '-x', `127.0.0.1:${terminatorPort}`, '-w', '[%{http_code}]', `http://127.0.0.1:${named.port}/through-tunnel`]);
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, 'google GET /through-tunnel[200]');
  });

  t.test('a CONNECT whose foo: bar authority is not ip:port gets 503 and counts original_dst_host_invalid', async (t) => {
    const result = await curl(['-p', '-x', `127.0.0.1:${terminatorPort}`, '--proxy-header', 'foo: bar', '-w', '%{http_connect}', 'http://localhost:1/']);
    t.not(result.code, 0, 'curl reports that the tunnel was refused');
    t.equal(result.stdout, '503');
    t.equal(await terminator.admin.stat('cluster.local_original_dst.original_dst_host_invalid'), 1);
  });
});

t.test('a node:http2 client sends several requests through one CONNECT tunnel into the decapsulating proxy', async (t) => {
  const decap = await startDecapH2(t);
  const session = await http2Session(t, decap.port);
  const tunnel = session.request({ ':method': 'CONNECT', ':authority': 'host.com:443' }, { endStream: false });
  const [headers] = (await once(tunnel, 'response')) as [Record<string, string | number>];
  t.equal(headers[':status'], 200, 'the CONNECT is accepted');
  const responses = readHttp1Responses(tunnel, 3);
  tunnel.write('GET /one HTTP/1.1\r\nHost: host.com\r\n\r\nGET /two HTTP/1.1\r\nHost: host.com\r\n\r\n');
  tunnel.write('GET /three HTTP/1.1\r\nHost: host.com\r\n\r\n');
  const bodies = (await responses).map((r) => r.body);
  t.same(bodies, ['Hello, world!\n', 'Hello, world!\n', 'Hello, world!\n']);
  tunnel.end();
  await once(tunnel, 'close');
  t.equal(await decap.proxy.admin.stat('http.ingress_http.downstream_rq_total'), 4, 'one CONNECT plus three tunnelled requests (shared stat prefix)');
});
