// UpstreamTlsContext: nodevoy as a TLS client of a real node:tls server. SNI and ALPN as
// configured, no verification unless asked (Envoy's default), verification failures as
// connect failures with Envoy's reason in the access log, client certificates, resumption,
// and TLS across an internal listener hop.
import { once } from 'node:events';
import { createServer, type TLSSocket } from 'node:tls';
import t from 'tap';
import {
  ADMIN,
  DOWNSTREAM_TLS_CONTEXT,
  INTERNAL_LISTENER_BOOTSTRAP,
  UPSTREAM_TLS_CONTEXT,
  certificateFiles,
  cluster,
  collect,
  connectTo,
  createCertificateAuthority,
  fileAccessLog,
  internalListener,
  scratchDir,
  startEchoServer,
  startInProcess,
  tcpListener,
  tcpProxyChain,
  tcpProxyFilter,
  tlsCertificate,
  tlsTransportSocket,
  waitForLines,
  type CertificateAuthority,
  type IssuedCertificate,
  type TestLike,
} from '@nodevoy/test-kit';

interface TlsEchoServer {
  readonly port: number;
  /** What each accepted connection negotiated. */
  readonly seen: { servername: string | false; alpn: string | false | null; reused: boolean; clientCert: string | undefined }[];
}

/** A node:tls server that echoes, records SNI, ALPN, resumption and the client certificate. */
async function startTlsEchoServer(t: TestLike, certificate: IssuedCertificate, options: { ca?: string; requestCert?: boolean; alpn?: string[] } = {}): Promise<TlsEchoServer> {
  const seen: TlsEchoServer['seen'] = [];
  const server = createServer(
    {
      cert: certificate.cert,
      key: certificate.key,
      ...(options.ca ? { ca: options.ca } : {}),
      requestCert: options.requestCert ?? false,
      rejectUnauthorized: false,
      ALPNProtocols: options.alpn ?? ['h2', 'http/1.1'],
      allowHalfOpen: true,
    },
    (socket: TLSSocket) => {
      seen.push({
        servername: (socket as TLSSocket & { servername: string | false }).servername,
        alpn: socket.alpnProtocol,
        reused: socket.isSessionReused(),
        clientCert: socket.getPeerX509Certificate()?.subjectAltName,
      });
      socket.on('error', () => {});
      socket.pipe(socket);
    },
  );
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return { port: (server.address() as { port: number }).port, seen };
}

function tlsCluster(name: string, port: number, context: Record<string, unknown>): string {
  return cluster(name, [{ port }], `    transport_socket: ${tlsTransportSocket(UPSTREAM_TLS_CONTEXT, context)}\n`);
}

async function roundTrip(port: number, t: TestLike, text: string): Promise<{ data: string; end: string }> {
  const client = await connectTo(t, port);
  const received = collect(client);
  client.end(text);
  const { data, end } = await received;
  return { data: data.toString(), end };
}

async function plaintextToTls(t: TestLike, upstreamPort: number, context: Record<string, unknown>, extra = '') {
  return startInProcess(
    t,
    `${ADMIN}static_resources:
  listeners:
${tcpListener('edge', tcpProxyFilter({ statPrefix: 'edge', cluster: 'upstream', extra }))}  clusters:
${tlsCluster('upstream', upstreamPort, context)}`,
  );
}

let ca: CertificateAuthority;
t.before(async () => {
  ca = await createCertificateAuthority();
});

t.test('to a TLS upstream: SNI and ALPN as configured, bytes both ways, no verification by default', async (t) => {
  const server = await startTlsEchoServer(t, await ca.issue({ dns: ['backend.test'] }));
  const proxy = await plaintextToTls(t, server.port, { sni: 'backend.test', common_tls_context: { alpn_protocols: ['h2'] } });
  t.same(await roundTrip(proxy.port('edge'), t, 'through tls'), { data: 'through tls', end: 'fin' });
  t.same(server.seen, [{ servername: 'backend.test', alpn: 'h2', reused: false, clientCert: undefined }]);
  t.equal(proxy.stat('cluster.upstream.ssl.handshake'), 1);
  t.equal(proxy.stat('cluster.upstream.ssl.versions.TLSv1.2'), 1, "Envoy's client default: TLS 1.2 at most");
});

t.test('server verification: the trusted CA and a SAN matcher; a mismatch is a connect failure with the TLS reason logged', async (t) => {
  const files = certificateFiles(t, { ca: ca.cert });
  const server = await startTlsEchoServer(t, await ca.issue({ dns: ['backend.test'] }));
  const trusted = { trusted_ca: { filename: `${files.dir}/ca.pem` } };
  const good = await plaintextToTls(t, server.port, {
    sni: 'backend.test',
    common_tls_context: { validation_context: { ...trusted, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'backend.test' } }] } },
  });
  t.same(await roundTrip(good.port('edge'), t, 'verified'), { data: 'verified', end: 'fin' });

  const log = `${scratchDir(t)}/access.log`;
  const bad = await plaintextToTls(
    t,
    server.port,
    { common_tls_context: { validation_context: { ...trusted, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'other.test' } }] } } },
    fileAccessLog(log, '%RESPONSE_FLAGS% %UPSTREAM_TRANSPORT_FAILURE_REASON%\n'),
  );
  const refused = await roundTrip(bad.port('edge'), t, 'never');
  t.equal(refused.data, '');
  // Its bytes were never read: closing with them unread resets, as a kernel socket does in Envoy.
  t.equal(refused.end, 'reset');
  t.equal(bad.stat('cluster.upstream.ssl.fail_verify_san'), 1);
  t.equal(bad.stat('cluster.upstream.ssl.connection_error'), 0, 'a verification failure is not also a connection error');
  t.equal(bad.stat('cluster.upstream.upstream_cx_connect_fail'), 1);
  const [line] = await waitForLines(log, 1);
  t.equal(line, 'UF,URX TLS_error:|CERTIFICATE_VERIFY_FAILED:verify_cert_failed:_SAN_matcher:TLS_error_end');

  const stranger = await startTlsEchoServer(t, await (await createCertificateAuthority('stranger CA')).issue({ dns: ['backend.test'] }));
  const untrusted = await plaintextToTls(t, stranger.port, { common_tls_context: { validation_context: trusted } });
  t.equal((await roundTrip(untrusted.port('edge'), t, 'never')).data, '');
  t.equal(untrusted.stat('cluster.upstream.ssl.fail_verify_error'), 1);
});

t.test('auto_sni_san_validation checks the SAN against the SNI sent', async (t) => {
  const files = certificateFiles(t, { ca: ca.cert });
  const server = await startTlsEchoServer(t, await ca.issue({ dns: ['*.backend.test'] }));
  const context = (sni: string) => ({ sni, auto_sni_san_validation: true, common_tls_context: { validation_context: { trusted_ca: { filename: `${files.dir}/ca.pem` } } } });
  const covered = await plaintextToTls(t, server.port, context('api.backend.test'));
  t.equal((await roundTrip(covered.port('edge'), t, 'ok')).data, 'ok', 'the wildcard SAN covers the SNI');
  const uncovered = await plaintextToTls(t, server.port, context('api.elsewhere.test'));
  t.equal((await roundTrip(uncovered.port('edge'), t, 'no')).data, '');
  t.equal(uncovered.stat('cluster.upstream.ssl.fail_verify_san'), 1);
});

t.test('a client certificate is presented to an upstream that asks; sessions are resumed', async (t) => {
  const files = certificateFiles(t, { client: await ca.issue({ uris: ['spiffe://cluster.local/ns/a/sa/proxy'] }) });
  const server = await startTlsEchoServer(t, await ca.issue({ dns: ['backend.test'] }), { ca: ca.cert, requestCert: true });
  const proxy = await plaintextToTls(t, server.port, { sni: 'backend.test', common_tls_context: { tls_certificates: [tlsCertificate(files.client!)] } });
  for (const text of ['first', 'second']) t.equal((await roundTrip(proxy.port('edge'), t, text)).data, text);
  t.equal(server.seen[0]?.clientCert, 'URI:spiffe://cluster.local/ns/a/sa/proxy');
  t.same(
    server.seen.map((s) => s.reused),
    [false, true],
    'the second connection resumed the first session',
  );
  t.equal(proxy.stat('cluster.upstream.ssl.session_reused'), 1);
});

t.test('TLS across an internal hop: internal_upstream wrapping TLS, to an internal listener that terminates it', async (t) => {
  const files = certificateFiles(t, { inner: await ca.issue({ dns: ['inner.internal'] }), ca: ca.cert });
  const upstreamPlain = await startEchoServer(t);
  const innerTls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.inner!)] } });
  const outerTls = JSON.stringify({
    name: 'envoy.transport_sockets.internal_upstream',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport',
      transport_socket: JSON.parse(
        tlsTransportSocket(UPSTREAM_TLS_CONTEXT, { sni: 'inner.internal', common_tls_context: { validation_context: { trusted_ca: { filename: `${files.dir}/ca.pem` } } } }),
      ) as unknown,
    },
  });
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:
  listeners:
${tcpListener('edge', tcpProxyFilter({ statPrefix: 'edge', cluster: 'to_inner' }))}${internalListener('inner', `    filter_chains:\n${tcpProxyChain('upstream', { tls: innerTls })}`)}  clusters:
${cluster('to_inner', [{ internal: 'inner' }], `    transport_socket: ${outerTls}\n`)}${cluster('upstream', [{ port: upstreamPlain.port }])}${INTERNAL_LISTENER_BOOTSTRAP()}`,
  );
  const big = 'y'.repeat(256 * 1024);
  t.same(await roundTrip(proxy.port('edge'), t, big), { data: big, end: 'fin' });
  t.equal(proxy.stat('cluster.to_inner.ssl.handshake'), 1, 'the client side of the hop spoke TLS');
  t.equal(proxy.stat('listener.envoy_internal_inner.ssl.handshake'), 1, 'and the internal listener terminated it');
});
