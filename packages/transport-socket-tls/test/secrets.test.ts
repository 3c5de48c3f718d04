// Secrets by name: static ones in the bootstrap, and SDS from a file, reloaded when the file or
// the certificate files it names change. New connections get the new certificate, the open ones
// carry on, and a bad update is rejected with the last good certificate still served.
import { renameSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import t from 'tap';
import {
  DOWNSTREAM_TLS_CONTEXT,
  chainsBootstrap,
  cluster,
  createCertificateAuthority,
  scratchDir,
  startEchoServer,
  startInProcess,
  tcpProxyChain,
  tlsTransportSocket,
  waitFor,
  type CertificateAuthority,
  type IssuedCertificate,
} from '@nodevoy/test-kit';

const SECRET = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** Replaces a file the way certificate managers do: written aside, then renamed over it. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function served(port: number, ca: string): Promise<{ serial: string; socket: TLSSocket }> {
  const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
  socket.on('error', () => {});
  await once(socket, 'secureConnect');
  return { serial: (socket.getPeerX509Certificate()?.serialNumber ?? '').toLowerCase(), socket };
}

async function servedSerial(port: number, ca: string): Promise<string> {
  const { serial, socket } = await served(port, ca);
  socket.destroy();
  return serial;
}

let ca: CertificateAuthority;
t.before(async () => {
  ca = await createCertificateAuthority();
});

t.test('a static secret named by an SDS config without a source', async (t) => {
  const server = await ca.issue({ dns: ['localhost'] });
  const dir = scratchDir(t, { 'server.crt': server.cert, 'server.key': server.key });
  const upstream = await startEchoServer(t);
  const proxy = await startInProcess(
    t,
    chainsBootstrap([tcpProxyChain('upstream', { tls: tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'server_cert' }] } }) })], {
      clusters: [cluster('upstream', [{ port: upstream.port }])],
      tail: `  secrets:
  - name: server_cert
    tls_certificate:
      certificate_chain: { filename: ${join(dir, 'server.crt')} }
      private_key: { filename: ${join(dir, 'server.key')} }
`,
    }),
  );
  t.equal(await servedSerial(proxy.port('tls'), ca.cert), server.serialNumber);
});

/** A listener whose certificate comes from SDS file `sds.yaml`, which names `server.crt`/`server.key`. */
async function sdsListener(t: Parameters<typeof scratchDir>[0], first: IssuedCertificate) {
  const dir = scratchDir(t, { 'server.crt': first.cert, 'server.key': first.key });
  const sds = join(dir, 'sds.yaml');
  const secret = (cert: string, key: string) =>
    JSON.stringify({ resources: [{ '@type': SECRET, name: 'server_cert', tls_certificate: { certificate_chain: { filename: cert }, private_key: { filename: key } } }] });
  writeFileSync(sds, secret(join(dir, 'server.crt'), join(dir, 'server.key')));
  const upstream = await startEchoServer(t);
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, {
    common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'server_cert', sds_config: { path_config_source: { path: sds }, resource_api_version: 'V3' } }] },
  });
  const proxy = await startInProcess(t, chainsBootstrap([tcpProxyChain('upstream', { tls })], { clusters: [cluster('upstream', [{ port: upstream.port }])] }));
  return { proxy, dir, sds, secret };
}

t.test('SDS from a file: certificate files rotated on disk are served to the next connection; an open one carries on', async (t) => {
  const first = await ca.issue({ dns: ['localhost'] });
  const { proxy, dir } = await sdsListener(t, first);
  const port = proxy.port('tls');
  t.equal(proxy.stat('sds.server_cert.update_success'), 1);
  const open = await served(port, ca.cert);
  t.equal(open.serial, first.serialNumber);
  t.equal(proxy.server.certificates()[0]?.cert_chain[0]?.path, join(dir, 'server.crt'));

  const second = await ca.issue({ dns: ['localhost'] });
  replaceFile(join(dir, 'server.key'), second.key);
  replaceFile(join(dir, 'server.crt'), second.cert);
  t.equal(await waitFor(async () => ((await servedSerial(port, ca.cert)) === second.serialNumber ? true : undefined)), true, 'the rotated certificate is served');
  t.equal(proxy.server.certificates()[0]?.cert_chain[0]?.serial_number, second.serialNumber, '/certs shows the rotated certificate');

  const echoed = once(open.socket, 'data');
  open.socket.write('still open');
  t.equal(String((await echoed)[0]), 'still open', 'the connection made before the rotation carries on');
  open.socket.destroy();
});

t.test('SDS from a file: a new file is an update; a bad one is rejected and the last good certificate stays', async (t) => {
  const first = await ca.issue({ dns: ['localhost'] });
  const { proxy, dir, sds, secret } = await sdsListener(t, first);
  const port = proxy.port('tls');
  const second = await ca.issue({ dns: ['localhost'] });
  writeFileSync(join(dir, 'other.crt'), second.cert);
  writeFileSync(join(dir, 'other.key'), second.key);
  replaceFile(sds, secret(join(dir, 'other.crt'), join(dir, 'other.key')));
  await proxy.waitForStat('sds.server_cert.update_success', (n) => n === 2);
  t.equal(await servedSerial(port, ca.cert), second.serialNumber);

  replaceFile(sds, '{ resources: [ { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", name: server_cert, tls_certificate: { bogus: 1 } } ] }');
  await proxy.waitForStat('sds.server_cert.update_rejected', (n) => n === 1);
  t.match(proxy.logs.join('\n'), /sds secret 'server_cert' from .*sds\.yaml rejected: .*resources\[0\]\.tls_certificate\.bogus: unknown field 'bogus'/);
  replaceFile(sds, secret(join(dir, 'other.crt'), join(dir, 'other.key')).replace('"server_cert"', '"someone_else"'));
  await proxy.waitForStat('sds.server_cert.update_rejected', (n) => n === 2);
  t.match(proxy.logs.join('\n'), /Unexpected SDS secret \(expecting server_cert\): someone_else/);
  t.equal(await servedSerial(port, ca.cert), second.serialNumber, 'the last good certificate is still served');
});
