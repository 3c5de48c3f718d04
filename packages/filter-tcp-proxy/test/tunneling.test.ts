// tcp_proxy `tunneling_config` against real CONNECT servers (node:http and node:http2), as
// Envoy's TcpTunnelingIntegrationTest exercises it (spec tcp-proxy-connect.md §1.4-§1.7, §4a).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { constants, createServer as createHttp2Server, type IncomingHttpHeaders as Http2Headers, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import t, { type Test } from 'tap';
import { bootstrap, cluster, collect, connectTo, HTTP2_UPSTREAM, readBytes, startNodevoy, tcpListener, tcpProxyFilter } from '@nodevoy/test-kit';

interface SeenConnect {
  readonly method: string;
  readonly target: string;
  readonly headers: IncomingHttpHeaders | Http2Headers;
}

/** What the CONNECT server does with each tunnel request. */
type Answer = { status: number } & ({ mode: 'echo' } | { mode: 'refuse' } | { mode: 'greet-and-end'; greeting: string });

/** An HTTP/1.1 CONNECT (or POST) server: answers, then echoes the tunnel's bytes. */
async function startHttp1ConnectServer(t: Test, answer: Answer) {
  const seen: SeenConnect[] = [];
  const upstreamSockets: Socket[] = [];
  const server = createServer();
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    seen.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    upstreamSockets.push(socket);
    socket.on('error', () => {});
    if (answer.mode === 'refuse') {
      socket.end(`HTTP/1.1 ${answer.status} Refused\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    socket.write(`HTTP/1.1 ${answer.status} Connection Established\r\n\r\n`);
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  server.on('request', (req, res) => {
    // use_post tunnels arrive as requests whose bodies are the tunnel.
    seen.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    res.writeHead(answer.status);
    req.pipe(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    for (const s of upstreamSockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, seen, upstreamSockets };
}

/** An HTTP/2 CONNECT server (RFC 9113 §8.5). */
async function startHttp2ConnectServer(t: Test, answer: Answer) {
  const seen: SeenConnect[] = [];
  const streams: ServerHttp2Stream[] = [];
  /** greet-and-end: what each stream received up to its END_STREAM. */
  const received: string[] = [];
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    seen.push({ method: String(headers[':method']), target: String(headers[':authority']), headers });
    streams.push(stream);
    stream.on('error', () => {});
    if (answer.mode === 'refuse') {
      stream.respond({ ':status': answer.status }, { endStream: true });
      return;
    }
    stream.respond({ ':status': answer.status });
    if (answer.mode === 'greet-and-end') {
      // Read from the start (a paused node:http2 stream that ended its side closes early).
      const got: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => got.push(chunk));
      stream.on('end', () => received.push(Buffer.concat(got).toString()));
      stream.end(answer.greeting);
    } else stream.pipe(stream);
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, seen, streams, received };
}


function tunnelConfig(upstreamPort: number, tunneling: string, options: { http2?: boolean; tcpProxyExtra?: string } = {}): string {
  return bootstrap({
    listeners: [
      tcpListener(
        'tunnel',
        tcpProxyFilter({ statPrefix: 'tunnel', cluster: 'proxy', extra: `          tunneling_config:\n${tunneling}${options.tcpProxyExtra ?? ''}` }),
      ),
    ],
    clusters: [cluster('proxy', [{ port: upstreamPort }], options.http2 ? HTTP2_UPSTREAM : '')],
  });
}

t.test('HTTP/1.1 CONNECT tunnel', async (t) => {
  const upstream = await startHttp1ConnectServer(t, { status: 200, mode: 'echo' });
  const proxy = await startNodevoy(
    t,
    tunnelConfig(
      upstream.port,
      `            hostname: "backend.internal:%DOWNSTREAM_LOCAL_PORT%"
            headers_to_add:
            - header: { key: x-client-ip, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" }
            - header: { key: x-tag, value: one }
            - header: { key: x-tag, value: two }
              append_action: APPEND_IF_EXISTS_OR_ADD
`,
    ),
  );
  const port = await proxy.admin.listenerPort('tunnel');
  const client = await connectTo(t, port);
  client.write('hello through HTTP/1.1 CONNECT');
  t.equal((await readBytes(client, 30)).toString(), 'hello through HTTP/1.1 CONNECT', 'bytes go up and the echo comes back');

  const [request] = upstream.seen;
  t.equal(request?.method, 'CONNECT');
  t.equal(request?.target, `backend.internal:${port}`, 'the hostname is a format string on the downstream connection');
  t.equal(request?.headers.host, `backend.internal:${port}`);
  t.equal(request?.headers['x-client-ip'], '127.0.0.1');
  t.equal(request?.headers['x-tag'], 'one, two', 'headers_to_add honours append_action');
  t.equal(request?.headers['content-length'], undefined, 'a CONNECT carries no body framing');

  const received = collect(client);
  const upstreamClosed = once(upstream.upstreamSockets[0] as Socket, 'close');
  client.end();
  await upstreamClosed;
  t.pass('HTTP/1.1 cannot half-close: the client FIN closes the upstream connection');
  t.not((await received).end, 'reset');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.proxy.upstream_cx_http1_total'), 1);
  t.equal(stats.get('cluster.proxy.upstream_rq_total'), 1, 'the CONNECT counts as one upstream request');
});

t.test('HTTP/1.1: any 2xx establishes the tunnel (202 Accepted)', async (t) => {
  const upstream = await startHttp1ConnectServer(t, { status: 202, mode: 'echo' });
  const proxy = await startNodevoy(t, tunnelConfig(upstream.port, '            hostname: example.com:443\n'));
  const client = await connectTo(t, await proxy.admin.listenerPort('tunnel'));
  client.write('accepted');
  t.equal((await readBytes(client, 8)).toString(), 'accepted');
});

t.test('a tunnel answered 403: the client is closed, nothing is forwarded, each attempt counts', async (t) => {
  const upstream = await startHttp1ConnectServer(t, { status: 403, mode: 'refuse' });
  const proxy = await startNodevoy(t, tunnelConfig(upstream.port, '            hostname: example.com:443\n', { tcpProxyExtra: '          max_connect_attempts: 2\n' }));
  const port = await proxy.admin.listenerPort('tunnel');
  const client = await connectTo(t, port);
  const received = collect(client);
  client.write('must never reach the upstream');
  const { data, end } = await received;
  t.equal(data.length, 0, 'the client gets no bytes');
  // Its bytes were never read: closed with them unread, the connection resets (as Envoy's kernel socket does).
  t.equal(end, 'reset', 'its connection is reset');
  t.equal(upstream.seen.length, 2, 'max_connect_attempts: 2 sends a second CONNECT');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.proxy.upstream_cx_connect_attempts_exceeded'), 1);
  t.equal(stats.get('cluster.proxy.upstream_rq_total'), 2);

  // Other connections are unaffected: the proxy still answers new ones the same way.
  const again = await connectTo(t, port);
  t.equal((await collect(again)).data.length, 0);
  t.equal(upstream.seen.length, 4);
});

t.test('HTTP/2 CONNECT tunnel: RFC 9113 CONNECT, half-close both ways, one connection for many tunnels', async (t) => {
  const upstream = await startHttp2ConnectServer(t, { status: 200, mode: 'echo' });
  const proxy = await startNodevoy(t, tunnelConfig(upstream.port, '            hostname: example.com:443\n', { http2: true }));
  const port = await proxy.admin.listenerPort('tunnel');

  const first = await connectTo(t, port);
  first.write('over h2');
  t.equal((await readBytes(first, 7)).toString(), 'over h2');
  const [request] = upstream.seen;
  t.equal(request?.method, 'CONNECT');
  t.equal(request?.target, 'example.com:443');
  t.equal(request?.headers[':scheme'], undefined, 'no :scheme');
  t.equal(request?.headers[':path'], undefined, 'no :path');

  const firstEnd = collect(first);
  first.end();
  t.equal((await firstEnd).end, 'fin', 'the client FIN became END_STREAM, which the echo returned as a FIN');

  const second = await connectTo(t, port);
  second.write('second tunnel');
  t.equal((await readBytes(second, 13)).toString(), 'second tunnel');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.proxy.upstream_cx_http2_total'), 1, 'both tunnels are streams of one HTTP/2 connection');
  t.equal(stats.get('cluster.proxy.upstream_rq_total'), 2);
});

t.test('HTTP/2: the upstream ends its side first; the client can still send', async (t) => {
  const upstream = await startHttp2ConnectServer(t, { status: 200, mode: 'greet-and-end', greeting: 'bye from upstream' });
  const proxy = await startNodevoy(t, tunnelConfig(upstream.port, '            hostname: example.com:443\n', { http2: true }));
  const client = await connectTo(t, await proxy.admin.listenerPort('tunnel'));
  const received = collect(client);
  await once(client, 'end');
  const upstreamEnded = once(upstream.streams[0] as ServerHttp2Stream, 'end');
  client.end('late words');
  await upstreamEnded;
  t.equal((await received).data.toString(), 'bye from upstream');
  t.same(upstream.received, ['late words'], 'data still flows up after the upstream half-closed');
});

t.test('HTTP/2: exactly 200 establishes a tunnel; 503 closes the client', async (t) => {
  const upstream = await startHttp2ConnectServer(t, { status: 503, mode: 'refuse' });
  const proxy = await startNodevoy(t, tunnelConfig(upstream.port, '            hostname: example.com:443\n', { http2: true }));
  const client = await connectTo(t, await proxy.admin.listenerPort('tunnel'));
  const { data } = await collect(client);
  t.equal(data.length, 0);
  t.equal(upstream.seen.length, 1);
});

t.test('use_post: the tunnel is a POST to post_path', async (t) => {
  const upstream = await startHttp2ConnectServer(t, { status: 200, mode: 'echo' });
  const proxy = await startNodevoy(
    t,
    tunnelConfig(upstream.port, '            hostname: example.com:443\n            use_post: true\n            post_path: /tunnel\n', { http2: true }),
  );
  const client = await connectTo(t, await proxy.admin.listenerPort('tunnel'));
  client.write('posted');
  t.equal((await readBytes(client, 6)).toString(), 'posted');
  const [request] = upstream.seen;
  t.equal(request?.method, 'POST');
  t.equal(request?.headers[':path'], '/tunnel');
  t.equal(request?.headers[':scheme'], 'http');
});

t.test('post_path without use_post is a config error, as in Envoy', async (t) => {
  const upstream = await startHttp2ConnectServer(t, { status: 200, mode: 'echo' });
  const error = await startNodevoy(t, tunnelConfig(upstream.port, '            hostname: example.com:443\n            post_path: /tunnel\n')).then(
    () => undefined,
    (err: Error) => err.message,
  );
  t.match(error, /tunneling_config\.post_path: Can't set a post path when POST method isn't used/);
});

t.test('an upstream RST_STREAM after the 200 closes the client connection', async (t) => {
  const upstream = await startHttp2ConnectServer(t, { status: 200, mode: 'echo' });
  const proxy = await startNodevoy(t, tunnelConfig(upstream.port, '            hostname: example.com:443\n', { http2: true }));
  const client = await connectTo(t, await proxy.admin.listenerPort('tunnel'));
  client.write('x');
  await readBytes(client, 1);
  const received = collect(client);
  upstream.streams[0]?.close(constants.NGHTTP2_CANCEL);
  const { end } = await received;
  t.equal(end, 'fin', 'Envoy closes the client with FlushWrite: a FIN, not a reset');
});
