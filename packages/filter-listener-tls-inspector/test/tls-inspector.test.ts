// tls_inspector on a real listener, with curl: one port serves two TLS names (each its own
// filter chain and certificate, chosen by SNI), a chain by ALPN, and plaintext; the inspector's
// stats and %REQUESTED_SERVER_NAME% say what it saw. A ClientHello arriving a byte at a time
// is read whole; one over 64 KiB closes its connection and no other.
import { connect as tcpConnect } from 'node:net';
import { once } from 'node:events';
import t from 'tap';
import {
  DOWNSTREAM_TLS_CONTEXT,
  TLS_INSPECTOR,
  certificateFiles,
  chainsBootstrap,
  createCertificateAuthority,
  curl,
  directResponseChain,
  fileAccessLog,
  scratchDir,
  startInProcess,
  tlsCertificate,
  tlsTransportSocket,
  waitForLines,
} from '@nodevoy/test-kit';

t.test('one port: SNI picks the chain and its certificate, ALPN picks another, plaintext its own', async (t) => {
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { a: await ca.issue({ dns: ['a.test'] }), b: await ca.issue({ dns: ['*.b.test'] }), ca: ca.cert });
  const tls = (name: 'a' | 'b', alpn?: string[]) => tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files[name]!)], ...(alpn ? { alpn_protocols: alpn } : {}) } });
  const log = `${scratchDir(t)}/access.log`;
  const proxy = await startInProcess(
    t,
    chainsBootstrap(
      [
        directResponseChain('chain a\n', { tls: tls('a'), match: { server_names: ['a.test'], transport_protocol: 'tls' } }),
        directResponseChain('chain b over h2\n', { tls: tls('b', ['h2']), match: { server_names: ['*.b.test'], transport_protocol: 'tls', application_protocols: ['h2'] } }),
        directResponseChain('chain b\n', { tls: tls('b', ['http/1.1']), match: { server_names: ['*.b.test'], transport_protocol: 'tls' } }),
        directResponseChain('plaintext\n', { match: { transport_protocol: 'raw_buffer' } }),
      ],
      { listenerExtra: `${TLS_INSPECTOR}${fileAccessLog(log, '%REQUESTED_SERVER_NAME% %DOWNSTREAM_TLS_VERSION%\n', 4)}` },
    ),
  );
  const port = proxy.port('tls');
  const https = (name: string, ...flags: string[]) => curl(['--cacert', `${files.dir}/ca.pem`, '--resolve', `${name}:${port}:127.0.0.1`, ...flags, `https://${name}:${port}/`]);
  t.equal((await https('a.test')).stdout, 'chain a\n');
  t.equal((await https('api.b.test', '--http1.1')).stdout, 'chain b\n');
  t.equal((await https('api.b.test', '--http2')).stdout, 'chain b over h2\n');
  t.equal((await curl([`http://127.0.0.1:${port}/`])).stdout, 'plaintext\n');
  const unknown = await https('c.test');
  t.not(unknown.code, 0, 'a name no chain serves finds no chain: the connection is closed');
  t.equal(proxy.stat('listener.127.0.0.1_0.no_filter_chain_match'), 1);
  t.equal(proxy.stat('tls_inspector.tls_found'), 4);
  t.equal(proxy.stat('tls_inspector.sni_found'), 4);
  t.equal(proxy.stat('tls_inspector.tls_not_found'), 1);
  t.equal(proxy.stat('tls_inspector.alpn_found'), 4, 'curl offers ALPN');
  const lines = await waitForLines(log, 5);
  t.same(lines.slice(0, 4), ['a.test TLSv1.3', 'api.b.test TLSv1.3', 'api.b.test TLSv1.3', '- -']);
});

t.test('a ClientHello a byte at a time is read whole; one over 64 KiB closes that connection only', async (t) => {
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { a: await ca.issue({ dns: ['a.test'] }) });
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.a!)] } });
  const proxy = await startInProcess(t, chainsBootstrap([directResponseChain('a\n', { tls, match: { server_names: ['a.test'] } })], { listenerExtra: TLS_INSPECTOR }));
  const port = proxy.port('tls');
  // A real ClientHello, captured from node:tls, replayed one byte per write.
  const hello = await captureClientHello('a.test');
  const slow = tcpConnect({ host: '127.0.0.1', port, noDelay: true });
  slow.on('error', () => {});
  await once(slow, 'connect');
  for (const byte of hello) {
    slow.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const answer = once(slow, 'data');
  t.equal(((await answer)[0] as Buffer)[0], 0x16, 'the listener answered with its ServerHello');
  t.equal(proxy.stat('tls_inspector.sni_found'), 1);
  slow.destroy();

  const huge = tcpConnect({ host: '127.0.0.1', port });
  huge.on('error', () => {});
  await once(huge, 'connect');
  // A handshake record header announcing more than 64 KiB of ClientHello, then the bytes.
  const message = Buffer.alloc(70 * 1024, 0);
  message[0] = 1;
  message.writeUIntBE(message.length - 4, 1, 3);
  for (let at = 0; at < message.length; at += 16384) {
    const fragment = message.subarray(at, at + 16384);
    huge.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, fragment.length >> 8, fragment.length & 0xff]), fragment]));
  }
  huge.resume();
  // Closed with bytes unread, so a reset: not events.once, which rejects on the 'error'.
  await new Promise((resolve) => huge.once('close', resolve));
  t.equal(proxy.stat('tls_inspector.client_hello_too_large'), 1);
  t.equal((await curl(['-k', '--resolve', `a.test:${port}:127.0.0.1`, `https://a.test:${port}/`])).stdout, 'a\n', 'the next client is served');
});

/** The first flight a node:tls client sends for `servername`, as a server saw it. */
async function captureClientHello(servername: string): Promise<Buffer> {
  const { createServer } = await import('node:net');
  const { connect } = await import('node:tls');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, servername, rejectUnauthorized: false });
  client.on('error', () => {});
  const [socket] = (await accepted) as [import('node:net').Socket];
  const [data] = (await once(socket, 'data')) as [Buffer];
  client.destroy();
  socket.destroy();
  server.close();
  return data;
}
