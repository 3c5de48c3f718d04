// A TLS config that cannot work is refused when it loads, with the field path and Envoy's words:
// files that are missing or are not what they should be, a key that is not the certificate's,
// ciphers OpenSSL does not know, secrets that do not exist, contexts on the wrong side.
import { join } from 'node:path';
import t from 'tap';
import {
  DOWNSTREAM_TLS_CONTEXT,
  UPSTREAM_TLS_CONTEXT,
  chainsBootstrap,
  cluster,
  configProblems,
  createCertificateAuthority,
  scratchDir,
  tcpProxyChain,
  tlsTransportSocket,
  type TestLike,
} from '@nodevoy/test-kit';

const CHAIN = 'static_resources.listeners[0].filter_chains[0].transport_socket.typed_config';

async function files(t: TestLike) {
  const ca = await createCertificateAuthority();
  const server = await ca.issue({ dns: ['localhost'] });
  const other = await ca.issue({ dns: ['other'] });
  const dir = scratchDir(t, { 'server.crt': server.cert, 'server.key': server.key, 'other.key': other.key, 'garbage.pem': 'not a certificate\n' });
  return (name: string) => join(dir, name);
}

function listenerWith(context: Record<string, unknown>): string {
  return chainsBootstrap([tcpProxyChain('upstream', { tls: tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, context) })], { clusters: [cluster('upstream', [{ port: 1 }])] });
}

const certificate = (chain: string, key: string) => ({ common_tls_context: { tls_certificates: [{ certificate_chain: { filename: chain }, private_key: { filename: key } }] } });

t.test('certificate files: missing, not a certificate, a key that is not the certificate’s', async (t) => {
  const path = await files(t);
  t.match(configProblems(listenerWith(certificate('/nonexistent/server.crt', path('server.key')))), `${CHAIN}.common_tls_context.tls_certificates[0].certificate_chain: Invalid path: /nonexistent/server.crt (ENOENT)`);
  t.match(configProblems(listenerWith(certificate(path('garbage.pem'), path('server.key')))), `${CHAIN}.common_tls_context.tls_certificates[0].certificate_chain: Failed to load certificate chain from ${path('garbage.pem')}`);
  t.match(configProblems(listenerWith(certificate(path('server.crt'), path('garbage.pem')))), `tls_certificates[0].private_key: Failed to load private key from ${path('garbage.pem')}`);
  t.match(configProblems(listenerWith(certificate(path('server.crt'), path('other.key')))), `tls_certificates[0].private_key: Failed to load private key from ${path('other.key')}: it does not match the certificate chain`);
});

t.test('validation context, ciphers, curves, secrets', async (t) => {
  const path = await files(t);
  const base = certificate(path('server.crt'), path('server.key'));
  const withCommon = (extra: Record<string, unknown>) => listenerWith({ common_tls_context: { ...base.common_tls_context, ...extra } });
  t.match(configProblems(withCommon({ validation_context: { trusted_ca: { filename: path('garbage.pem') } } })), `${CHAIN}.common_tls_context.validation_context.trusted_ca: Failed to load trusted CA certificates from ${path('garbage.pem')}`);
  t.match(
    configProblems(withCommon({ tls_params: { cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256', 'NOT-A-CIPHER'] } })),
    `${CHAIN}.common_tls_context.tls_params.cipher_suites: Failed to initialize cipher suites ECDHE-RSA-AES128-GCM-SHA256:NOT-A-CIPHER. The following ciphers were rejected when tried individually: NOT-A-CIPHER`,
  );
  t.match(configProblems(withCommon({ tls_params: { ecdh_curves: ['P-999'] } })), `${CHAIN}.common_tls_context.tls_params.ecdh_curves: Failed to initialize ECDH curves P-999`);
  t.match(configProblems(listenerWith({ common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'nope' }] } })), `${CHAIN}.common_tls_context.tls_certificate_sds_secret_configs[0].name: Unknown static secret: nope`);
  t.match(configProblems(listenerWith({ common_tls_context: {} })), `${CHAIN}.common_tls_context: Server TlsCertificates must have a certificate specified`);
  t.match(configProblems(listenerWith({ common_tls_context: { tls_params: { tls_minimum_protocol_version: 'TLSv9' } } })), /tls_minimum_protocol_version: invalid value string "TLSv9"/);
});

t.test('each context on its own side, and what node:tls cannot do', async (t) => {
  const onCluster = (typeUrl: string, context: Record<string, unknown>) =>
    chainsBootstrap([tcpProxyChain('upstream')], { clusters: [cluster('upstream', [{ port: 1 }], `    transport_socket: ${tlsTransportSocket(typeUrl, context)}\n`)] });
  t.match(configProblems(onCluster(DOWNSTREAM_TLS_CONTEXT, {})), /static_resources\.clusters\[0\]\.transport_socket.*cannot be used as an upstream transport socket/);
  t.match(configProblems(onCluster(UPSTREAM_TLS_CONTEXT, { allow_renegotiation: true })), /static_resources\.clusters\[0\]\.transport_socket\.typed_config\.allow_renegotiation: node:tls never allows a server to renegotiate/);
  t.match(
    configProblems(onCluster(UPSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'a' }, { name: 'b' }] } })),
    /tls_certificates: Multiple TLS certificates are not supported for client contexts/,
  );
});

t.test('secrets in the bootstrap need the TLS extension, and distinct names', async (t) => {
  const path = await files(t);
  const secret = (name: string) => `  - name: ${name}\n    tls_certificate: { certificate_chain: { filename: ${path('server.crt')} }, private_key: { filename: ${path('server.key')} } }\n`;
  const yaml = chainsBootstrap([tcpProxyChain('upstream')], { clusters: [cluster('upstream', [{ port: 1 }])], tail: `  secrets:\n${secret('twice')}${secret('twice')}` });
  t.match(configProblems(yaml), /static_resources\.secrets\[1\]\.name: Duplicate static secret name twice/);
});
