// nodevoy's own HTTP/1.1 client codec, against an upstream that writes exact bytes: what goes on
// the wire, how each kind of response is read (interim answers, bodies that run to the close,
// trailers, HEAD, garbage) and when a pooled connection is reused or replaced.
import type { Socket } from 'node:net';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, httpConnectionManager, httpRequest, startInProcess, startTcpServer, tcpListener, type TestLike } from '@nodevoy/test-kit';

/** What the scripted upstream answers to a request line; `close`: it closes after answering. */
type Script = (requestLine: string) => { readonly reply: string; readonly close?: boolean };

interface ScriptedUpstream {
  readonly port: number;
  /** Every request head received, in order, as raw text. */
  readonly heads: string[];
  readonly connections: () => number;
}

/** An upstream that reads bodiless request heads and answers each with the script's exact bytes. */
async function scriptedUpstream(t: TestLike, script: Script): Promise<ScriptedUpstream> {
  const heads: string[] = [];
  const server = await startTcpServer(t, (socket: Socket) => {
    let pending = '';
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end + 4);
        pending = pending.slice(end + 4);
        heads.push(head);
        const { reply, close } = script(head.split('\r\n')[0] as string);
        if (close) socket.end(reply);
        else socket.write(reply);
      }
    });
  });
  return { port: server.port, heads, connections: () => server.sockets.length };
}

function proxyConfig(upstreamPort: number, clusterExtra = ''): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n') }))}  clusters:
${cluster('backend', [{ port: upstreamPort }], clusterExtra)}`;
}

const ok = (body: string) => `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

t.test('requests go out as Envoy writes them and share one kept-alive connection', async (t) => {
  const upstream = await scriptedUpstream(t, (line) => ({ reply: ok(line) }));
  const proxy = await startInProcess(t, proxyConfig(upstream.port));
  const first = await httpRequest(proxy.port('http'), { path: '/a', headers: { host: 'api.test', 'x-one': '1' } });
  const second = await httpRequest(proxy.port('http'), { path: '/b?q=1', headers: { host: 'api.test' } });
  t.equal(first.body, 'GET /a HTTP/1.1');
  t.equal(second.body, 'GET /b?q=1 HTTP/1.1');
  const head = upstream.heads[0] as string;
  t.match(head, /^GET \/a HTTP\/1\.1\r\nhost: api\.test\r\n/, 'request line, then Host first');
  t.match(head, /\r\nx-one: 1\r\n/);
  t.notMatch(head, /\r\n(connection|transfer-encoding|content-length):/i, 'a bodiless GET carries no framing and no keep-alive header');
  t.equal(upstream.connections(), 1, 'the second request reused the first connection');
  t.equal(proxy.stat('cluster.backend.upstream_cx_total'), 1);
  t.equal(proxy.stat('cluster.backend.upstream_cx_http1_total'), 1);
});

t.test('each kind of HTTP/1.1 response reaches the client whole', async (t) => {
  const replies: Record<string, { reply: string; close?: boolean }> = {
    '/early-hints': { reply: `HTTP/1.1 103 Early Hints\r\nlink: </style.css>\r\n\r\n${ok('after hints')}` },
    '/until-close': { reply: 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nbody that runs to the close', close: true },
    '/chunked': { reply: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: 42\r\n\r\n' },
    '/no-content': { reply: 'HTTP/1.1 204 No Content\r\nx-empty: yes\r\n\r\n' },
  };
  const upstream = await scriptedUpstream(t, (line) => {
    const path = line.split(' ')[1] as string;
    if (line.startsWith('HEAD')) return { reply: 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n' };
    return replies[path] ?? { reply: ok('fallback') };
  });
  const proxy = await startInProcess(t, proxyConfig(upstream.port));
  const port = proxy.port('http');

  const hinted = await httpRequest(port, { path: '/early-hints' });
  t.equal(hinted.status, 200, 'the interim 103 is not the answer');
  t.equal(hinted.body, 'after hints');

  const untilClose = await httpRequest(port, { path: '/until-close' });
  t.equal(untilClose.status, 200);
  t.equal(untilClose.body, 'body that runs to the close');

  const chunked = await httpRequest(port, { path: '/chunked' });
  t.equal(chunked.body, 'hello world');

  const noContent = await httpRequest(port, { path: '/no-content' });
  t.equal(noContent.status, 204);
  t.equal(noContent.headers['x-empty'], 'yes');

  const head = await httpRequest(port, { path: '/head', method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.headers['content-length'], '10', 'the length of the body a GET would get');
  const after = await httpRequest(port, { path: '/after-head' });
  t.equal(after.body, 'fallback', 'the connection that answered HEAD serves the next request: no body was awaited');
  t.equal(proxy.stat('cluster.backend.upstream_rq_completed'), 6);
});

t.test('a response that cannot be parsed is a protocol error: 503, and the connection is not reused', async (t) => {
  const upstream = await scriptedUpstream(t, (line) => ({ reply: line.includes('/garbage') ? 'HTTP/1.1 2x0 Nope\r\n\r\n' : ok('fine') }));
  const proxy = await startInProcess(t, proxyConfig(upstream.port));
  const bad = await httpRequest(proxy.port('http'), { path: '/garbage' });
  t.equal(bad.status, 503);
  t.match(bad.body, /reset reason: protocol error/);
  const good = await httpRequest(proxy.port('http'), { path: '/next' });
  t.equal(good.body, 'fine');
  t.equal(upstream.connections(), 2, 'the next request had a fresh connection');
});

t.test('a pooled connection the upstream closed is replaced, and max_requests_per_connection is honoured', async (t) => {
  const upstream = await scriptedUpstream(t, (line) => ({ reply: ok('bye'), close: line.includes('/last') }));
  const proxy = await startInProcess(t, proxyConfig(upstream.port));
  t.equal((await httpRequest(proxy.port('http'), { path: '/last' })).body, 'bye');
  await proxy.waitForStat('cluster.backend.upstream_cx_destroy_remote', (n) => n === 1);
  t.equal((await httpRequest(proxy.port('http'), { path: '/again' })).body, 'bye', 'no 503: a new connection served it');
  t.equal(upstream.connections(), 2);

  const limited = await scriptedUpstream(t, () => ({ reply: ok('one') }));
  const limitedProxy = await startInProcess(
    t,
    proxyConfig(
      limited.port,
      `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: { max_requests_per_connection: 1 }
        explicit_http_config: { http_protocol_options: {} }
`,
    ),
  );
  for (const path of ['/1', '/2', '/3']) t.equal((await httpRequest(limitedProxy.port('http'), { path })).body, 'one');
  t.equal(limited.connections(), 3, 'one request per connection');
});
