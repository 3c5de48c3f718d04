// PROXY protocol end to end: a listener reads the header a proxy in front sent (the header never
// reaches the upstream), filter chains and access logs see the client it names, TLVs become
// metadata; without a header the connection is refused unless allowed; and nodevoy writes the
// header upstream, before TLS too, to another nodevoy that reads it.
import t from 'tap';
import { once } from 'node:events';
import { connect } from 'node:net';
import {
  ADMIN,
  INTERNAL_LISTENER_BOOTSTRAP,
  cluster,
  collect,
  connectTo,
  encodeHeader,
  fileAccessLog,
  scratchDir,
  startEchoServer,
  startInProcess,
  startTcpServer,
  tcpListener,
  tcpProxyFilter,
  waitForLines,
  type TestLike,
} from './helpers.js';

const FILTER = `    listener_filters:
    - name: envoy.filters.listener.proxy_protocol
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol
        stat_prefix: edge
        rules: [{ tlv_type: 234, on_tlv_present: { key: tenant } }]
`;

async function exchange(t: TestLike, port: number, bytes: Buffer): Promise<{ data: string; end: string }> {
  const client = await connectTo(t, port);
  const received = collect(client);
  client.end(bytes);
  const { data, end } = await received;
  return { data: data.toString(), end };
}

async function proxyProtocolListener(t: TestLike, options: { allowWithout?: boolean; chains?: string } = {}) {
  const upstream = await startEchoServer(t);
  const log = `${scratchDir(t)}/access.log`;
  const chains =
    options.chains ??
    tcpProxyFilter({
      statPrefix: 'edge',
      cluster: 'upstream',
      extra: fileAccessLog(log, '%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT% %DYNAMIC_METADATA(envoy.filters.listener.proxy_protocol:tenant)%\n'),
    });
  const filter = options.allowWithout ? FILTER.replace('stat_prefix: edge', 'stat_prefix: edge\n        allow_requests_without_proxy_protocol: true') : FILTER;
  const proxy = await startInProcess(t, `${ADMIN}static_resources:\n  listeners:\n${tcpListener('edge', chains, filter)}  clusters:\n${cluster('upstream', [{ port: upstream.port }])}`);
  return { proxy, upstream, log, port: proxy.port('edge') };
}

t.test('v1 and v2: the header is taken off, the client it names is the remote address, TLVs become metadata', async (t) => {
  const { proxy, log, port } = await proxyProtocolListener(t);
  const v1 = Buffer.concat([Buffer.from('PROXY TCP4 192.0.2.10 198.51.100.20 51000 443\r\n'), Buffer.from('after v1')]);
  t.same(await exchange(t, port, v1), { data: 'after v1', end: 'fin' }, 'the upstream never saw the header');
  const v2 = Buffer.concat([encodeHeader(2, ['2001:db8::1', 40000], ['2001:db8::2', 8443], [{ type: 234, value: Buffer.from('acme') }]), Buffer.from('after v2')]);
  t.same(await exchange(t, port, v2), { data: 'after v2', end: 'fin' });
  const lines = (await waitForLines(log, 2)).sort();
  t.same(lines, ['192.0.2.10:51000 198.51.100.20:443 127.0.0.1 -', '[2001:db8::1]:40000 [2001:db8::2]:8443 127.0.0.1 acme']);
  t.equal(proxy.stat('proxy_proto.edge.versions.v1.found'), 1);
  t.equal(proxy.stat('proxy_proto.edge.versions.v2.found'), 1);
});

t.test('the header split over many reads is read whole', async (t) => {
  const { port } = await proxyProtocolListener(t);
  const client = connect({ host: '127.0.0.1', port, noDelay: true });
  t.teardown(() => client.destroy());
  await once(client, 'connect');
  const received = collect(client);
  const header = Buffer.from('PROXY TCP4 192.0.2.10 198.51.100.20 51000 443\r\n');
  for (const byte of header) {
    client.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
  client.end('payload');
  t.equal((await received).data.toString(), 'payload');
});

t.test('no header: refused and counted, unless allow_requests_without_proxy_protocol; a broken one: refused', async (t) => {
  const strict = await proxyProtocolListener(t);
  t.equal((await exchange(t, strict.port, Buffer.from('GET / HTTP/1.1\r\n\r\n'))).data, '');
  await strict.proxy.waitForStat('proxy_proto.edge.not_found_disallowed', (n) => n === 1);
  t.equal((await exchange(t, strict.port, Buffer.from('PROXY TCP4 192.0.2.10 198.51.100.20 51000\r\nx'))).data, '');
  await strict.proxy.waitForStat('proxy_proto.edge.versions.v1.error', (n) => n === 1);
  t.equal(strict.proxy.stat('downstream_cx_proxy_proto_error'), 2);
  const lenient = await proxyProtocolListener(t, { allowWithout: true });
  t.same(await exchange(t, lenient.port, Buffer.from('no header')), { data: 'no header', end: 'fin' });
  t.equal(lenient.proxy.stat('proxy_proto.edge.not_found_allowed'), 1);
});

t.test('filter chains match on the client the header names', async (t) => {
  const upstream = await startEchoServer(t);
  const chains = `    filter_chains:
    - filter_chain_match: { source_prefix_ranges: [{ address_prefix: 192.0.2.0, prefix_len: 24 }] }
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: documentation_net, cluster: upstream }
    - filters:
      - name: envoy.filters.network.echo
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.echo.v3.Echo }
`;
  const proxy = await startInProcess(t, `${ADMIN}static_resources:\n  listeners:\n${tcpListener('edge', chains, FILTER)}  clusters:\n${cluster('upstream', [{ port: upstream.port }])}`);
  const from = (ip: string) => Buffer.concat([Buffer.from(`PROXY TCP4 ${ip} 198.51.100.20 5000 443\r\n`), Buffer.from(ip)]);
  t.equal((await exchange(t, proxy.port('edge'), from('192.0.2.77'))).data, '192.0.2.77');
  t.equal((await exchange(t, proxy.port('edge'), from('203.0.113.5'))).data, '203.0.113.5');
  t.equal(proxy.stat('tcp.documentation_net.downstream_cx_total'), 1, 'only the client from 192.0.2.0/24 took that chain');
});

t.test('upstream_proxy_protocol writes the downstream addresses first (v1 and v2), then the bytes', async (t) => {
  for (const version of ['V1', 'V2'] as const) {
    const seen: Buffer[] = [];
    const upstream = await startTcpServer(t, (socket) => {
      socket.on('data', (chunk: Buffer) => seen.push(chunk));
      socket.on('end', () => socket.end('done'));
    });
    const transport = JSON.stringify({
      name: 'envoy.transport_sockets.upstream_proxy_protocol',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport',
        config: { version },
        transport_socket: { name: 'envoy.transport_sockets.raw_buffer', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } },
      },
    });
    const proxy = await startInProcess(
      t,
      `${ADMIN}static_resources:\n  listeners:\n${tcpListener('edge', tcpProxyFilter({ statPrefix: 'edge', cluster: 'upstream' }))}  clusters:\n${cluster('upstream', [{ port: upstream.port }], `    transport_socket: ${transport}\n`)}`,
    );
    const port = proxy.port('edge');
    const client = await connectTo(t, port);
    const clientPort = client.localPort as number;
    const received = collect(client);
    client.end('data');
    t.equal((await received).data.toString(), 'done');
    const bytes = Buffer.concat(seen);
    const expected = encodeHeader(version === 'V1' ? 1 : 2, ['127.0.0.1', clientPort], ['127.0.0.1', port]);
    t.equal(bytes.subarray(0, expected.length).toString('latin1'), expected.toString('latin1'), `${version}: the header names the client and the listener`);
    t.equal(bytes.subarray(expected.length).toString(), 'data');
  }
});

t.test('nodevoy to nodevoy through PROXY protocol and TLS over an internal hop: the far listener sees the first client', async (t) => {
  const { createCertificateAuthority, certificateFiles, tlsCertificate, tlsTransportSocket, DOWNSTREAM_TLS_CONTEXT, UPSTREAM_TLS_CONTEXT } = await import('@nodevoy/test-kit');
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { inner: await ca.issue({ dns: ['inner.internal'] }) });
  const upstream = await startEchoServer(t);
  const log = `${scratchDir(t)}/inner.log`;
  const outgoing = JSON.stringify({
    name: 'envoy.transport_sockets.upstream_proxy_protocol',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport',
      config: { version: 'V2' },
      transport_socket: JSON.parse(tlsTransportSocket(UPSTREAM_TLS_CONTEXT, { sni: 'inner.internal' })) as unknown,
    },
  });
  const innerChain = `    filter_chains:
    - transport_socket: ${tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.inner!)] } })}
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: inner
          cluster: upstream
${fileAccessLog(log, '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_TLS_VERSION%\n')}`;
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:
  listeners:
${tcpListener('edge', tcpProxyFilter({ statPrefix: 'edge', cluster: 'to_inner' }))}  - name: inner
    internal_listener: {}
${FILTER}${innerChain}  clusters:
${cluster('to_inner', [{ internal: 'inner' }], `    transport_socket: ${outgoing}\n`)}${cluster('upstream', [{ port: upstream.port }])}${INTERNAL_LISTENER_BOOTSTRAP()}`,
  );
  t.same(await exchange(t, proxy.port('edge'), Buffer.from('across')), { data: 'across', end: 'fin' });
  const [line] = await waitForLines(log, 1);
  t.match(line, /^127\.0\.0\.1 TLSv1\.2$/, 'the inner listener saw the edge client, through the header, over TLS');
});
