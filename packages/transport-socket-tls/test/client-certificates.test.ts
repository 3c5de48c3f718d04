// Mutual TLS on a listener: the client's certificate checked as Envoy checks it (trusted CA,
// SPIFFE URI SANs, expiry, CRL, pins), each refusal counted under its ssl.* name, and a
// refused client never disturbs the next one.
import { createHash, X509Certificate } from 'node:crypto';
import t from 'tap';
import {
  DOWNSTREAM_TLS_CONTEXT,
  certificateFiles,
  chainsBootstrap,
  cluster,
  createCertificateAuthority,
  startEchoServer,
  startInProcess,
  tcpProxyChain,
  tlsCertificate,
  tlsExchange,
  tlsTransportSocket,
  type InProcessNodevoy,
  type IssuedCertificate,
  type TestLike,
} from '@nodevoy/test-kit';

const SPIFFE_ID = 'spiffe://cluster.local/ns/default/sa/client';
const STAT = 'listener.127.0.0.1_0.ssl.';

interface Setup {
  readonly proxy: InProcessNodevoy;
  readonly ca: Awaited<ReturnType<typeof createCertificateAuthority>>;
  readonly client: IssuedCertificate;
}

/** A TLS listener requiring client certificates from `ca`, with `validation` added to its validation context. */
async function mtlsListener(t: TestLike, validation: (setup: { ca: string; crl: string }) => Record<string, unknown> = () => ({}), revoke = false): Promise<Setup> {
  const ca = await createCertificateAuthority();
  const client = await ca.issue({ uris: [SPIFFE_ID] });
  const files = certificateFiles(t, { server: await ca.issue({ dns: ['localhost'] }), ca: ca.cert, crl: await ca.crl(revoke ? [client] : []) });
  const upstream = await startEchoServer(t);
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, {
    require_client_certificate: true,
    common_tls_context: {
      tls_certificates: [tlsCertificate(files.server!)],
      validation_context: { trusted_ca: { filename: `${files.dir}/ca.pem` }, ...validation({ ca: `${files.dir}/ca.pem`, crl: `${files.dir}/crl.pem` }) },
    },
  });
  const proxy = await startInProcess(t, chainsBootstrap([tcpProxyChain('upstream', { tls })], { clusters: [cluster('upstream', [{ port: upstream.port }])] }));
  return { proxy, ca, client };
}

/** Connects with `certificate` (or none), sends a line; resolves with what came back before the connection ended. */
function exchange(setup: Setup, certificate: IssuedCertificate | undefined): Promise<string> {
  return tlsExchange(setup.proxy.port('tls'), setup.ca.cert, certificate);
}

t.test('a client certificate from the trusted CA with the right SPIFFE id is let through', async (t) => {
  const setup = await mtlsListener(t, () => ({ match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: SPIFFE_ID } }] }));
  t.equal(await exchange(setup, setup.client), 'ping');
  t.equal(setup.proxy.stat(`${STAT}handshake`), 1);
  t.equal(setup.proxy.stat(`${STAT}no_certificate`), 0);
});

t.test('no client certificate: refused, fail_verify_no_cert', async (t) => {
  const setup = await mtlsListener(t);
  t.equal(await exchange(setup, undefined), '');
  await setup.proxy.waitForStat(`${STAT}fail_verify_no_cert`, (n) => n === 1);
  t.equal(await exchange(setup, setup.client), 'ping', 'the next client with a certificate gets through');
});

t.test('a certificate from another CA: refused, fail_verify_error', async (t) => {
  const setup = await mtlsListener(t);
  const stranger = await (await createCertificateAuthority('stranger CA')).issue({ uris: [SPIFFE_ID] });
  t.equal(await exchange(setup, stranger), '');
  await setup.proxy.waitForStat(`${STAT}fail_verify_error`, (n) => n === 1);
  t.equal(setup.proxy.stat(`${STAT}connection_error`), 0, 'counted as a verification failure only, as Envoy');
});

t.test('the wrong SPIFFE id: refused, fail_verify_san; a prefix matcher lets a namespace in', async (t) => {
  const exact = await mtlsListener(t, () => ({ match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/default/sa/other' } }] }));
  t.equal(await exchange(exact, exact.client), '');
  await exact.proxy.waitForStat(`${STAT}fail_verify_san`, (n) => n === 1);
  const prefix = await mtlsListener(t, () => ({ match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/ns/default/' } }] }));
  t.equal(await exchange(prefix, prefix.client), 'ping');
  const dnsOnly = await mtlsListener(t, () => ({ match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { prefix: 'spiffe' } }] }));
  t.equal(await exchange(dnsOnly, dnsOnly.client), '', 'the SAN type must match too: a URI SAN is not a DNS SAN');
});

t.test('an expired certificate: refused, unless allow_expired_certificate', async (t) => {
  const strict = await mtlsListener(t);
  const expired = await strict.ca.issue({ uris: [SPIFFE_ID], notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
  t.equal(await exchange(strict, expired), '');
  await strict.proxy.waitForStat(`${STAT}fail_verify_error`, (n) => n === 1);
  const lenient = await mtlsListener(t, () => ({ allow_expired_certificate: true }));
  const expiredToo = await lenient.ca.issue({ uris: [SPIFFE_ID], notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
  t.equal(await exchange(lenient, expiredToo), 'ping');
});

t.test('a certificate revoked by the CRL: refused', async (t) => {
  const setup = await mtlsListener(t, ({ crl }) => ({ crl: { filename: crl } }), true);
  t.equal(await exchange(setup, setup.client), '');
  await setup.proxy.waitForStat(`${STAT}fail_verify_error`, (n) => n === 1);
  const other = await setup.ca.issue({ uris: [SPIFFE_ID] });
  t.equal(await exchange(setup, other), 'ping', 'a certificate the CRL does not list gets through');
});

t.test('certificate pins: the SPKI or the hash of the certificate must match one listed', async (t) => {
  const ca = await createCertificateAuthority();
  const pinned = await ca.issue({ uris: [SPIFFE_ID] });
  const x509 = new X509Certificate(pinned.cert);
  const spki = createHash('sha256').update(x509.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  const fingerprint = x509.fingerprint256; // colon-separated upper-case hex, a form Envoy accepts
  for (const [what, pins] of [
    ['spki', { verify_certificate_spki: [spki] }],
    ['hash', { verify_certificate_hash: [fingerprint] }],
  ] as const) {
    const setup = await mtlsListener(t, () => pins);
    // The listener trusts its own CA: the pinned certificate comes from another one, so re-issue under it.
    const trusted = { ...(await setup.ca.issue({ uris: [SPIFFE_ID] })) };
    t.equal(await exchange(setup, trusted), '', `${what}: a certificate not pinned is refused`);
    await setup.proxy.waitForStat(`${STAT}fail_verify_cert_hash`, (n) => n === 1);
  }
  const files = certificateFiles(t, { server: await ca.issue({ dns: ['localhost'] }), ca: ca.cert });
  const upstream = await startEchoServer(t);
  const proxy = await startInProcess(
    t,
    chainsBootstrap(
      [
        tcpProxyChain('upstream', {
          tls: tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, {
            require_client_certificate: true,
            common_tls_context: { tls_certificates: [tlsCertificate(files.server!)], validation_context: { trusted_ca: { filename: `${files.dir}/ca.pem` }, verify_certificate_spki: [spki] } },
          }),
        }),
      ],
      { clusters: [cluster('upstream', [{ port: upstream.port }])] },
    ),
  );
  t.equal(await exchange({ proxy, ca, client: pinned }, pinned), 'ping', 'the pinned certificate gets through');
});
