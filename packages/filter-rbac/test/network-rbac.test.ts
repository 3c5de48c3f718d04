// envoy.filters.network.rbac before tcp_proxy: judged on the connection's first bytes; a denied
// connection is closed before anything reaches the upstream, an allowed one carries bytes both
// ways; mTLS identities are principals; <stat_prefix>.rbac.* counts the outcomes.
import t from 'tap';
import {
  DOWNSTREAM_TLS_CONTEXT,
  certificateFiles,
  chainsBootstrap,
  cluster,
  collect,
  connectTo,
  createCertificateAuthority,
  startEchoServer,
  startInProcess,
  tlsCertificate,
  tlsExchange,
  tlsTransportSocket,
  type IssuedCertificate,
  type TestLike,
} from '@nodevoy/test-kit';

const RBAC = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';

/** A listener chain: network RBAC with `rules`, then tcp_proxy to `upstream`. */
function rbacChain(rules: string, tls?: string): string {
  return `    - ${tls ? `transport_socket: ${tls}\n      ` : ''}filters:
      - name: envoy.filters.network.rbac
        typed_config:
          "@type": ${RBAC}
          stat_prefix: guard
${rules}      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: upstream
          cluster: upstream
`;
}

async function start(t: TestLike, rules: string, tls?: string) {
  const upstream = await startEchoServer(t);
  const proxy = await startInProcess(t, chainsBootstrap([rbacChain(rules, tls)], { clusters: [cluster('upstream', [{ port: upstream.port }])] }));
  return { proxy, upstream };
}

async function echoOf(port: number, t: TestLike, text: string) {
  const client = await connectTo(t, port);
  const received = collect(client);
  client.end(text);
  return received;
}

t.test('an allowed peer is proxied; a denied one is closed on its first bytes, its bytes go nowhere', async (t) => {
  const allow = await start(
    t,
    `          rules:
            action: ALLOW
            policies:
              loopback-any-port:
                permissions: [{ destination_port_range: { start: 1, end: 65536 } }]
                principals: [{ source_ip: { address_prefix: 127.0.0.1, prefix_len: 32 } }]
`,
  );
  const echoed = await echoOf(allow.proxy.port('tls'), t, 'hello');
  t.equal(echoed.data.toString(), 'hello');
  t.equal(echoed.end, 'fin');
  t.equal(allow.proxy.stat('guard.rbac.allowed'), 1);

  const deny = await start(
    t,
    `          shadow_rules:
            action: ALLOW
            policies:
              nobody: { permissions: [{ any: true }], principals: [{ not_id: { any: true } }] }
          rules:
            action: DENY
            policies:
              loopback:
                permissions: [{ any: true }]
                principals: [{ direct_remote_ip: { address_prefix: 127.0.0.0, prefix_len: 8 } }]
`,
  );
  const refused = await echoOf(deny.proxy.port('tls'), t, 'let me in');
  t.equal(refused.data.length, 0, 'nothing comes back');
  t.equal(deny.proxy.stat('guard.rbac.denied'), 1);
  t.equal(deny.proxy.stat('guard.rbac.shadow_denied'), 1);
  t.equal(deny.proxy.stat('cluster.upstream.upstream_cx_tx_bytes_total'), 0, 'not one byte went upstream');
});

const CLIENT_ID = 'spiffe://cluster.local/ns/apps/sa/client';

t.test('mTLS: the peer certificate’s URI SAN is the authenticated principal', async (t) => {
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { server: await ca.issue({ dns: ['localhost'] }), ca: ca.cert });
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, {
    require_client_certificate: true,
    common_tls_context: { tls_certificates: [tlsCertificate(files.server!)], validation_context: { trusted_ca: { filename: `${files.dir}/ca.pem` } } },
  });
  const { proxy } = await start(
    t,
    `          rules:
            action: ALLOW
            policies:
              apps-client:
                permissions: [{ any: true }]
                principals: [{ authenticated: { principal_name: { exact: "${CLIENT_ID}" } } }]
`,
    tls,
  );
  const exchange = (certificate: IssuedCertificate) => tlsExchange(proxy.port('tls'), ca.cert, certificate);
  t.equal(await exchange(await ca.issue({ uris: [CLIENT_ID] })), 'ping', 'the named workload gets through');
  t.equal(await exchange(await ca.issue({ uris: ['spiffe://cluster.local/ns/apps/sa/other'] })), '', 'another identity from the same CA does not');
  t.equal(proxy.stat('guard.rbac.allowed'), 1);
  t.equal(proxy.stat('guard.rbac.denied'), 1);
});
