// Half-close through HTTP/2 CONNECT tunnels, encap -> decap in one process (the beyond-Envoy
// issue, item 2; Envoy: PR #47378). A client that sends its request and half-closes still gets
// the whole download; an upstream that half-closes first is a FIN, never a reset.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { ClientHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import t from 'tap';
import { anyHostRoutes, bootstrap, cluster, collect, connectTo, HTTP2_UPSTREAM, http2Session, httpConnectionManager, internalListener, startNodevoy, startTcpServer, tcpListener, tcpProxyFilter } from '@nodevoy/test-kit';

const DOWNLOAD_BYTES = 8 * 1024 * 1024;


/** A connection manager that terminates CONNECT (HTTP/2 or HTTP/1.1) into `cluster`. */
function terminatingHcm(statPrefix: string, clusterName: string): string {
  return httpConnectionManager({
    statPrefix,
    extra: '          http2_protocol_options: { allow_connect: true }\n          upgrade_configs: [{ upgrade_type: CONNECT }]\n',
    routeConfig: anyHostRoutes(
      `              - { match: { connect_matcher: {} }, route: { cluster: ${clusterName}, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: {} }] } }\n`,
    ),
  });
}

/**
 * tcp (TCP) -> encap (internal, tcp_proxy in an HTTP/2 CONNECT) -> decap (internal, terminates
 * it) -> origin; and h2 (a connection manager terminating a client's HTTP/2 CONNECT) -> the same
 * encap -> decap -> origin.
 */
function chainConfig(originPort: number): string {
  return bootstrap({
    listeners: [
      tcpListener('tcp', tcpProxyFilter({ statPrefix: 'entry', cluster: 'to_encap' })),
      tcpListener('h2', terminatingHcm('client_connect', 'to_encap')),
      internalListener(
        'encap',
        tcpProxyFilter({ statPrefix: 'encap', cluster: 'to_decap', extra: '          tunneling_config: { hostname: "origin.internal:443" }\n' }),
      ),
      internalListener('decap', terminatingHcm('decap', 'origin')),
    ],
    clusters: [cluster('to_encap', [{ internal: 'encap' }]), cluster('to_decap', [{ internal: 'decap' }], HTTP2_UPSTREAM), cluster('origin', [{ port: originPort }])],
  });
}

/** The origin of a one-way download: it answers once the request is complete (its FIN). */
function serveDownloadAfterFin(socket: Socket, requests: string[]): void {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('end', () => {
    requests.push(Buffer.concat(chunks).toString());
    socket.end(download());
  });
}

function download(): Buffer {
  const data = Buffer.alloc(DOWNLOAD_BYTES);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32BE(i, i);
  return data;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

t.test('a TCP client sends its request and half-closes: the whole download arrives, then a FIN', async (t) => {
  const requests: string[] = [];
  const origin = await startTcpServer(t, (socket) => serveDownloadAfterFin(socket, requests));
  const proxy = await startNodevoy(t, chainConfig(origin.port));
  const client = await connectTo(t, await proxy.admin.listenerPort('tcp'));
  const received = collect(client);
  client.end('GET big-file\n');
  const { data, end } = await received;
  t.same(requests, ['GET big-file\n'], 'the request and its FIN crossed both hops');
  t.equal(data.length, DOWNLOAD_BYTES, 'every byte of the download');
  t.equal(sha256(data), sha256(download()), 'in order');
  t.equal(end, 'fin', 'ended by a FIN, not a reset');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.to_decap.upstream_cx_http2_total'), 1, 'through an HTTP/2 CONNECT tunnel');
  t.equal(stats.get('http.decap.downstream_rq_rx_reset') ?? 0, 0, 'no stream was reset');
  t.equal(stats.get('http.decap.downstream_rq_tx_reset') ?? 0, 0);
});

t.test('the origin half-closes first: the client gets a FIN and can still send', async (t) => {
  const lateWords: string[] = [];
  const origin = await startTcpServer(t, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => lateWords.push(Buffer.concat(chunks).toString()));
    socket.end('greeting, and no more from me\n');
  });
  const proxy = await startNodevoy(t, chainConfig(origin.port));
  const client = await connectTo(t, await proxy.admin.listenerPort('tcp'));
  const received = collect(client);
  await once(client, 'end');
  t.equal((await received).data.toString(), 'greeting, and no more from me\n');
  t.equal((await received).end, 'fin');
  const originDone = once(origin.sockets[0] as Socket, 'end');
  client.end('words after the origin closed its side\n');
  await originDone;
  t.same(lateWords, ['words after the origin closed its side\n'], 'bytes still flow up after the downstream saw the FIN');
});

t.test('a node:http2 client: END_STREAM after the request, the download arrives whole, then END_STREAM', async (t) => {
  const requests: string[] = [];
  const origin = await startTcpServer(t, (socket) => serveDownloadAfterFin(socket, requests));
  const proxy = await startNodevoy(t, chainConfig(origin.port));
  const session = await http2Session(t, await proxy.admin.listenerPort('h2'));
  const tunnel: ClientHttp2Stream = session.request({ ':method': 'CONNECT', ':authority': 'origin.example:443' }, { endStream: false });
  const [headers] = (await once(tunnel, 'response')) as [Record<string, string | number>];
  t.equal(headers[':status'], 200);
  const chunks: Buffer[] = [];
  tunnel.on('data', (chunk: Buffer) => chunks.push(chunk));
  let resetCode: number | undefined;
  tunnel.on('error', () => (resetCode = tunnel.rstCode));
  tunnel.end('GET big-file\n');
  await once(tunnel, 'close');
  const data = Buffer.concat(chunks);
  t.same(requests, ['GET big-file\n']);
  t.equal(data.length, DOWNLOAD_BYTES, 'every byte of the download');
  t.equal(sha256(data), sha256(download()), 'in order');
  t.equal(resetCode, undefined, 'no RST_STREAM');
  t.equal(tunnel.rstCode, 0, 'the stream closed with NO_ERROR: both sides ended with END_STREAM');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('http.client_connect.downstream_rq_2xx'), 1);
  t.equal(stats.get('http.client_connect.downstream_rq_rx_reset') ?? 0, 0);
});
