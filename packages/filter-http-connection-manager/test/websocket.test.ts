// WebSocket (HTTP/1.1 upgrades) through the real CLI with the `ws` client and server: allowed by
// upgrade_configs, messages and close codes both ways, across an internal listener hop too;
// refused where not allowed (403), an upstream that declines the upgrade, and `Upgrade: h2c`
// served as the plain request it is.
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import WebSocket, { WebSocketServer } from 'ws';
import { anyHostRoutes, bootstrap, cluster, curl, httpConnectionManager, internalListener, startNodevoy, tcpListener, waitFor, type TestLike } from '@nodevoy/test-kit';

interface WsUpstream {
  readonly port: number;
  /** The upgrade requests the server saw. */
  readonly requests: IncomingMessage[];
  /** Close codes and reasons the server received from its clients. */
  readonly closes: { code: number; reason: string }[];
}

/** A websocket echo server (`echo:<message>`); `bye` makes it close with 4001. Plain requests get `plain <path>`. */
async function startWsUpstream(t: TestLike, options: { refuse?: boolean } = {}): Promise<WsUpstream> {
  const requests: IncomingMessage[] = [];
  const closes: WsUpstream['closes'] = [];
  const server = createServer((req, res) => res.end(`plain ${req.url} upgrade=${req.headers.upgrade ?? '-'}`));
  const wss = new WebSocketServer({ server, verifyClient: () => !options.refuse });
  wss.on('headers', (_headers, req) => requests.push(req));
  wss.on('connection', (socket) => {
    socket.on('message', (message) => {
      if (String(message) === 'bye') socket.close(4001, 'server says bye');
      else socket.send(`echo:${String(message)}`);
    });
    socket.on('close', (code, reason) => closes.push({ code, reason: String(reason) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const client of wss.clients) client.terminate();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, requests, closes };
}

/** Opens a websocket and resolves with it once open, or with the HTTP status that refused it. */
function openWs(t: TestLike, url: string): Promise<WebSocket | { status: number; headers: IncomingMessage['headers']; body: string }> {
  const ws = new WebSocket(url);
  t.teardown(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return once(ws, 'message').then(([data]) => String(data));
}

const routes = (extra = '') => anyHostRoutes(`              - match: { prefix: /plain }
                route: { cluster: web, upgrade_configs: [{ upgrade_type: websocket, enabled: false }] }
              - match: { prefix: / }
                route: { cluster: web${extra} }
`);

function config(upstreamPort: number): string {
  return bootstrap({
    listeners: [
      tcpListener('ws', httpConnectionManager({ statPrefix: 'ws', extra: '          upgrade_configs: [{ upgrade_type: websocket }]\n', routeConfig: routes() })),
      tcpListener('no_ws', httpConnectionManager({ statPrefix: 'no_ws', routeConfig: routes() })),
    ],
    clusters: [cluster('web', [{ port: upstreamPort }])],
  });
}

t.test('a websocket where upgrade_configs allows it: messages and close codes both ways', async (t) => {
  const upstream = await startWsUpstream(t);
  const proxy = await startNodevoy(t, config(upstream.port));
  const port = await proxy.admin.listenerPort('ws');

  const ws = await openWs(t, `ws://127.0.0.1:${port}/chat?room=1`);
  if (!(ws instanceof WebSocket)) throw new Error(`refused with ${ws.status}`);
  t.equal(upstream.requests[0]?.url, '/chat?room=1');
  t.equal(upstream.requests[0]?.headers['x-forwarded-proto'], 'http', 'the upgrade request got the connection manager headers');
  t.equal(await proxy.admin.stat('http.ws.downstream_cx_upgrades_active'), 1);

  const reply = nextMessage(ws);
  ws.send('hello');
  t.equal(await reply, 'echo:hello');
  const big = 'x'.repeat(1024 * 1024);
  const bigReply = nextMessage(ws);
  ws.send(big);
  t.equal(await bigReply, `echo:${big}`, 'a 1 MiB message crosses whole');

  const closed = once(ws, 'close');
  ws.close(4000, 'client done');
  const [code] = (await closed) as [number];
  t.equal(code, 4000, 'the server echoed the close');
  await proxy.admin.waitForStat('http.ws.downstream_cx_upgrades_active', (v) => v === 0);
  t.same(await waitFor(() => upstream.closes[0]), { code: 4000, reason: 'client done' }, 'the server got the client close code and reason');
  t.equal(await proxy.admin.stat('http.ws.downstream_cx_upgrades_total'), 1);

  const second = await openWs(t, `ws://127.0.0.1:${port}/again`);
  if (!(second instanceof WebSocket)) throw new Error('refused');
  const serverClosed = once(second, 'close');
  second.send('bye');
  const [serverCode, reason] = (await serverClosed) as [number, Buffer];
  t.same([serverCode, String(reason)], [4001, 'server says bye'], 'a close from the server reaches the client');
});

t.test('an upgrade where none is allowed: 403 and the connection closes, as Envoy', async (t) => {
  const upstream = await startWsUpstream(t);
  const proxy = await startNodevoy(t, config(upstream.port));
  const refused = await openWs(t, `ws://127.0.0.1:${await proxy.admin.listenerPort('no_ws')}/chat`);
  t.notOk(refused instanceof WebSocket);
  if (refused instanceof WebSocket) return;
  t.equal(refused.status, 403);
  t.equal(refused.headers.connection, 'close');
  const disabledOnRoute = await openWs(t, `ws://127.0.0.1:${await proxy.admin.listenerPort('ws')}/plain`);
  t.equal(disabledOnRoute instanceof WebSocket ? 101 : disabledOnRoute.status, 403, 'a route can switch off what the connection manager allows');
  t.equal(await proxy.admin.stat('http.no_ws.downstream_rq_ws_on_non_ws_route'), 1);
  t.equal(await proxy.admin.stat('http.ws.downstream_rq_ws_on_non_ws_route'), 1);
  t.equal(upstream.requests.length, 0, 'the upstream never saw them');
});

t.test('an upstream that declines the upgrade: its answer reaches the client', async (t) => {
  const upstream = await startWsUpstream(t, { refuse: true });
  const proxy = await startNodevoy(t, config(upstream.port));
  const declined = await openWs(t, `ws://127.0.0.1:${await proxy.admin.listenerPort('ws')}/chat`);
  if (declined instanceof WebSocket) throw new Error('opened');
  t.equal(declined.status, 401);
  t.equal(declined.body, 'Unauthorized');
  await proxy.admin.waitForStat('http.ws.downstream_cx_upgrades_active', (v) => v === 0);
});

t.test('a websocket across an internal listener hop', async (t) => {
  const upstream = await startWsUpstream(t);
  const upgrades = '          upgrade_configs: [{ upgrade_type: websocket }]\n';
  const proxy = await startNodevoy(
    t,
    bootstrap({
      listeners: [
        tcpListener('front', httpConnectionManager({ statPrefix: 'front', extra: upgrades, routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: to_inner } }\n') })),
        internalListener('inner', httpConnectionManager({ statPrefix: 'inner', extra: upgrades, routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: web } }\n') })),
      ],
      clusters: [cluster('to_inner', [{ internal: 'inner' }]), cluster('web', [{ port: upstream.port }])],
    }),
  );
  const ws = await openWs(t, `ws://127.0.0.1:${await proxy.admin.listenerPort('front')}/deep`);
  if (!(ws instanceof WebSocket)) throw new Error(`refused with ${ws.status}`);
  const reply = nextMessage(ws);
  ws.send('through two connection managers');
  t.equal(await reply, 'echo:through two connection managers');
  t.equal(await proxy.admin.stat('http.inner.downstream_cx_upgrades_total'), 1, 'the inner connection manager saw the upgrade too');
  const closed = once(ws, 'close');
  ws.close(1000);
  await closed;
  await proxy.admin.waitForStat('http.front.downstream_cx_upgrades_active', (v) => v === 0);
  await proxy.admin.waitForStat('http.inner.downstream_cx_upgrades_active', (v) => v === 0);
});

t.test('`Upgrade: h2c` (curl --http2 on http://) is served as a plain request, as Envoy', async (t) => {
  const upstream = await startWsUpstream(t);
  const proxy = await startNodevoy(t, config(upstream.port));
  const port = await proxy.admin.listenerPort('no_ws');
  const get = await curl(['-s', '-i', '--http2', `http://127.0.0.1:${port}/x`]);
  t.match(get.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(get.stdout, /\r\n\r\nplain \/x upgrade=-$/, 'the upstream saw no upgrade');
  const post = await curl(['-s', '--http2', `http://127.0.0.1:${port}/posted`, '-d', 'a=1']);
  t.equal(post.stdout, 'plain /posted upgrade=-');
  t.equal(await proxy.admin.stat('http.no_ws.downstream_rq_ws_on_non_ws_route'), 0);
});
