// DownstreamTlsContext on TCP listeners, with real clients: node:tls and curl. Certificates are
// made by the test (never committed keys). Bytes both ways and half-close through TLS, ALPN
// choosing the connection manager's codec, SNI choosing the certificate, Envoy's ssl.* stats.
import { once } from 'node:events';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import t from 'tap';
import {
  DOWNSTREAM_TLS_CONTEXT,
  certificateFiles,
  chainsBootstrap,
  cluster,
  createCertificateAuthority,
  curl,
  directResponseChain,
  fileAccessLog,
  startEchoServer,
  startInProcess,
  tcpProxyChain,
  type TestLike,
  tlsCertificate,
  tlsTransportSocket,
  waitForLines,
} from '@nodevoy/test-kit';

async function tlsClient(port: number, options: { ca: string; servername?: string; alpn?: string[]; cert?: string; key?: string; anyName?: boolean }): Promise<TLSSocket> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: options.ca,
    servername: options.servername ?? 'localhost',
    ...(options.anyName ? { checkServerIdentity: () => undefined } : {}),
    ...(options.alpn ? { ALPNProtocols: options.alpn } : {}),
    ...(options.cert ? { cert: options.cert, key: options.key } : {}),
  });
  socket.on('error', () => {});
  await once(socket, 'secureConnect');
  return socket;
}

async function readAll(socket: TLSSocket): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** A TLS listener for `localhost` whose tcp_proxy goes to an echo server. */
async function tlsEchoListener(t: TestLike) {
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { server: await ca.issue({ dns: ['localhost'] }) });
  const upstream = await startEchoServer(t);
  const proxy = await startInProcess(
    t,
    chainsBootstrap([tcpProxyChain('upstream', { tls: tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.server!)] } }) })], {
      clusters: [cluster('upstream', [{ port: upstream.port }])],
    }),
  );
  return { ca, proxy };
}

t.test('tcp_proxy behind TLS: bytes both ways and half-close, verified by the client, counted in ssl.*', async (t) => {
  const { ca, proxy } = await tlsEchoListener(t);
  const client = await tlsClient(proxy.port('tls'), { ca: ca.cert });
  t.equal(client.authorized, true, 'the client verified the listener certificate against the CA');
  const big = Buffer.alloc(512 * 1024, 'x');
  const echoed = readAll(client);
  client.write(big);
  client.end('end');
  t.equal((await echoed).length, big.length + 3, 'every byte came back, then the FIN');
  t.equal(proxy.stat('listener.127.0.0.1_0.ssl.handshake'), 1);
  t.equal(proxy.stat('listener.127.0.0.1_0.ssl.versions.TLSv1.3'), 1);
  t.equal(proxy.stat('listener.127.0.0.1_0.ssl.ciphers.TLS_AES_256_GCM_SHA384'), 1, 'TLS 1.3: the client\'s first choice, as Envoy takes it');
  t.equal(proxy.stat('listener.127.0.0.1_0.ssl.no_certificate'), 1, 'no client certificate was asked for');
  t.equal(proxy.stat('listener.127.0.0.1_0.ssl.connection_error'), 0);
});

t.test('curl over TLS: ALPN picks HTTP/2 or HTTP/1.1 for the connection manager, x-forwarded-proto is https', async (t) => {
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { server: await ca.issue({ dns: ['localhost'] }), ca: ca.cert });
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.server!)], alpn_protocols: ['h2', 'http/1.1'] } });
  const proxy = await startInProcess(t, chainsBootstrap([directResponseChain('over tls\n', { tls })]));
  const port = proxy.port('tls');
  const base = ['--cacert', `${files.dir}/ca.pem`, '--resolve', `localhost:${port}:127.0.0.1`, '-i', `https://localhost:${port}/`];
  const h2 = await curl(['--http2', ...base]);
  t.equal(h2.code, 0, h2.stderr);
  t.match(h2.stdout, /^HTTP\/2 200 ?\r\n/);
  t.match(h2.stdout, /\r\nx-seen-proto: https\r\n/);
  t.match(h2.stdout, /\r\n\r\nover tls\n$/);
  const h1 = await curl(['--http1.1', ...base]);
  t.equal(h1.code, 0, h1.stderr);
  t.match(h1.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.equal(proxy.stat('http.ingress.downstream_cx_http2_total'), 1);
  t.equal(proxy.stat('http.ingress.downstream_cx_http1_total'), 1);
  t.equal(proxy.stat('http.ingress.downstream_cx_ssl_total'), 2, 'both connections counted as TLS by the connection manager');
});

t.test('several certificates: SNI chooses the one that names the server, the first is the default; logs name the one served', async (t) => {
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { a: await ca.issue({ dns: ['a.test'] }), b: await ca.issue({ dns: ['*.b.test'] }) });
  const upstream = await startEchoServer(t);
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.a!), tlsCertificate(files.b!)] } });
  const log = join(files.dir, 'access.log');
  const proxy = await startInProcess(
    t,
    chainsBootstrap([tcpProxyChain('upstream', { tls })], {
      clusters: [cluster('upstream', [{ port: upstream.port }])],
      listenerExtra: fileAccessLog(log, '%DOWNSTREAM_LOCAL_SUBJECT%\n', 4),
    }),
  );
  const port = proxy.port('tls');
  const served = async (servername: string) => {
    const socket = await tlsClient(port, { ca: ca.cert, servername, anyName: true });
    const subject = socket.getPeerX509Certificate()?.subject;
    socket.end('ping');
    t.equal(await readAll(socket), 'ping', `bytes echoed for ${servername}`);
    return subject;
  };
  t.equal(await served('a.test'), 'CN=a.test');
  t.equal(await served('api.b.test'), 'CN=*.b.test', 'a wildcard certificate serves its subdomains');
  t.equal(await served('other.test'), 'CN=a.test', 'no match: the first certificate');
  t.same((await waitForLines(log, 3)).sort(), ['CN=*.b.test', 'CN=a.test', 'CN=a.test'], 'each connection logs the certificate it was served');
});

t.test('a client that is not speaking TLS is counted and closed; the listener carries on', async (t) => {
  const { ca, proxy } = await tlsEchoListener(t);
  const { connect: tcpConnect } = await import('node:net');
  const garbage = tcpConnect({ host: '127.0.0.1', port: proxy.port('tls') });
  garbage.on('error', () => {});
  garbage.write('GET / HTTP/1.1\r\nhost: plaintext\r\n\r\n');
  garbage.resume();
  await once(garbage, 'close');
  await proxy.waitForStat('listener.127.0.0.1_0.ssl.connection_error', (n) => n === 1);
  const resetMidHandshake = tcpConnect({ host: '127.0.0.1', port: proxy.port('tls') });
  resetMidHandshake.on('error', () => {});
  resetMidHandshake.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
  // Accepted first: a reset before the accept never reaches the listener.
  await proxy.waitForStat('listener.127.0.0.1_0.downstream_cx_total', (n) => n === 2);
  resetMidHandshake.resetAndDestroy();
  await proxy.waitForStat('listener.127.0.0.1_0.ssl.connection_error', (n) => n === 2);
  const client = await tlsClient(proxy.port('tls'), { ca: ca.cert });
  const echoed = readAll(client);
  client.end('still here');
  t.equal(await echoed, 'still here');
  await proxy.waitForStat('listener.127.0.0.1_0.downstream_cx_active', (n) => n === 0);
});

t.test('transport_socket_connect_timeout: a client that never finishes the handshake is closed and counted; one that does is not', async (t) => {
  const ca = await createCertificateAuthority();
  const files = certificateFiles(t, { server: await ca.issue({ dns: ['localhost'] }) });
  const upstream = await startEchoServer(t);
  const tls = tlsTransportSocket(DOWNSTREAM_TLS_CONTEXT, { common_tls_context: { tls_certificates: [tlsCertificate(files.server!)] } });
  const proxy = await startInProcess(
    t,
    chainsBootstrap([tcpProxyChain('upstream', { tls }).replace('    - transport_socket:', '    - transport_socket_connect_timeout: 0.2s\n      transport_socket:')], {
      clusters: [cluster('upstream', [{ port: upstream.port }])],
    }),
  );
  const { connect: tcpConnect } = await import('node:net');
  // The good client shakes hands first and is still open when the stalled one, which came after
  // it, is closed by the timeout: its own timer was stopped by the handshake.
  const client = await tlsClient(proxy.port('tls'), { ca: ca.cert });
  const stalled = tcpConnect({ host: '127.0.0.1', port: proxy.port('tls') });
  stalled.on('error', () => {});
  stalled.resume();
  await once(stalled, 'close');
  t.equal(proxy.stat('listener.127.0.0.1_0.downstream_cx_transport_socket_connect_timeout'), 1);
  const echoed = readAll(client);
  client.end('in time');
  t.equal(await echoed, 'in time', 'a handshake that completed in time is not limited afterwards');
  t.equal(proxy.stat('listener.127.0.0.1_0.downstream_cx_transport_socket_connect_timeout'), 1);
});
