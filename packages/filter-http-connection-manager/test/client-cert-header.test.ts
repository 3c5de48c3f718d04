// x-forwarded-client-cert, as Envoy writes it (checked against Envoy 1.40 by hand: the same
// bytes), for every forward_client_cert_details mode, over mutual TLS and without it.
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:https';
import t from 'tap';
import {
  DOWNSTREAM_TLS_CONTEXT,
  certificateFiles,
  chainsBootstrap,
  cluster,
  createCertificateAuthority,
  httpRequest,
  startHttpUpstream,
  startInProcess,
  tlsCertificate,
  tlsTransportSocket,
  type CertificateAuthority,
  type IssuedCertificate,
  type TestLike,
} from '@nodevoy/test-kit';

const SERVER_ID = 'spiffe://td/ns/x/sa/server';
const CLIENT_ID = 'spiffe://td/ns/x/sa/client';

function chain(mode: string, details: string, tls: string | undefined): string {
  return `    - ${tls ? `transport_socket: ${tls}\n      ` : ''}filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          forward_client_cert_details: ${mode}
          set_current_client_cert_details: ${details}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: / }, route: { cluster: upstream } }] }]
`;
}

interface Setup {
  readonly ca: CertificateAuthority;
  readonly client: IssuedCertificate;
}

/** The x-forwarded-client-cert the upstream got, for a request that sent `sent`. */
async function forwardedHeader(t: TestLike, setup: Setup, mode: string, options: { details?: string; mtls: boolean; sent?: string }): Promise<string | undefined> {
  const files = certificateFiles(t, { server: await setup.ca.issue({ dns: ['localhost'], uris: [SERVER_ID] }), ca: setup.ca.cert });
  const upstream = await startHttpUpstream(t);
  const tls = options.mtls
    ? tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.server!)], validation_context: { trusted_ca: { filename: `${files.dir}/ca.pem` } } } })
    : undefined;
  const proxy = await startInProcess(t, chainsBootstrap([chain(mode, options.details ?? '{}', tls)], { clusters: [cluster('upstream', [{ port: upstream.port }])] }));
  const headers: Record<string, string> = options.sent ? { 'x-forwarded-client-cert': options.sent } : {};
  if (options.mtls) {
    const req = request({ host: '127.0.0.1', port: proxy.port('tls'), servername: 'localhost', ca: setup.ca.cert, cert: setup.client.cert, key: setup.client.key, headers, agent: false });
    req.end();
    const [response] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    response.resume();
    await once(response, 'end');
  } else {
    await httpRequest(proxy.port('tls'), { headers });
  }
  const value = upstream.requests.at(-1)?.headers['x-forwarded-client-cert'];
  return Array.isArray(value) ? value.join(',') : value;
}

t.test('every mode, with and without a client certificate', async (t) => {
  const ca = await createCertificateAuthority();
  const client = await ca.issue({ commonName: 'client one', uris: [CLIENT_ID], dns: ['client.test'] });
  const setup = { ca, client };
  const hash = createHash('sha256').update(new X509Certificate(client.cert).raw).digest('hex');
  const all = '{ subject: true, uri: true, dns: true }';
  const element = `By=${SERVER_ID};Hash=${hash};Subject="CN=client one";URI=${CLIENT_ID};DNS=client.test`;

  t.equal(await forwardedHeader(t, setup, 'SANITIZE', { mtls: true, sent: 'from-client' }), undefined, 'SANITIZE: always removed');
  t.equal(await forwardedHeader(t, setup, 'SANITIZE_SET', { mtls: true, sent: 'from-client', details: all }), element, "SANITIZE_SET: the client's certificate, in Envoy's order");
  t.equal(await forwardedHeader(t, setup, 'SANITIZE_SET', { mtls: true }), `By=${SERVER_ID};Hash=${hash}`, 'no details asked: By and Hash');
  t.equal(await forwardedHeader(t, setup, 'APPEND_FORWARD', { mtls: true, sent: 'By=upstream;Hash=00', details: all }), `By=upstream;Hash=00,${element}`, 'APPEND_FORWARD: appended');
  t.equal(await forwardedHeader(t, setup, 'FORWARD_ONLY', { mtls: true, sent: 'from-client' }), 'from-client', 'FORWARD_ONLY over mTLS: as it came');
  t.equal(await forwardedHeader(t, setup, 'FORWARD_ONLY', { mtls: false, sent: 'from-client' }), undefined, 'FORWARD_ONLY without mTLS: removed');
  t.equal(await forwardedHeader(t, setup, 'APPEND_FORWARD', { mtls: false, sent: 'from-client' }), undefined, 'APPEND_FORWARD without mTLS: removed');
  t.equal(await forwardedHeader(t, setup, 'ALWAYS_FORWARD_ONLY', { mtls: false, sent: 'from-client' }), 'from-client', 'ALWAYS_FORWARD_ONLY: as it came');
  const cert = await forwardedHeader(t, setup, 'SANITIZE_SET', { mtls: true, details: '{ cert: true }' });
  t.equal(cert, `By=${SERVER_ID};Hash=${hash};Cert="${encodeURIComponent(new X509Certificate(client.cert).toString())}"`, 'Cert: the URL-encoded PEM');
});
