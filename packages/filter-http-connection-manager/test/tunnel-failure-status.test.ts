// The real tunnel failure reaches the original client (beyond-Envoy item 1; Envoy issue
// #43977): connection manager -> internal listener -> tcp_proxy tunneling_config, and the
// upstream proxy refuses the CONNECT. Envoy answers every such failure with a generic 503.
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createHttp2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { anyHostRoutes, bootstrap, closedPort, cluster, curl, fileAccessLog, HTTP2_UPSTREAM, httpConnectionManager, internalListener, startHungServer, startNodevoy, tcpListener, tcpProxyFilter, waitForLines } from '@nodevoy/test-kit';


/**
 * http (HCM) -> encap (internal; tcp_proxy in a CONNECT to `proxyPort`) -> the upstream proxy.
 * `http2`: the CONNECT to the upstream proxy is HTTP/2; `innerHttp2`: so is the HCM's hop to encap.
 */
function config(proxyPort: number, options: { http2?: boolean; innerHttp2?: boolean; propagate?: boolean; connectTimeout?: string; accessLogPath?: string } = {}): string {
  const tunneling = `          tunneling_config: { hostname: "origin.example:443"${options.propagate ? ', propagate_response_headers: true' : ''} }\n`;
  return bootstrap({
    listeners: [tcpListener('http', httpConnectionManager({ extra: options.accessLogPath ? accessLog(options.accessLogPath) : '', routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: to_encap } }\n') })), internalListener('encap', tcpProxyFilter({ statPrefix: 'encap', cluster: 'proxy', extra: tunneling }))],
    clusters: [cluster('to_encap', [{ internal: 'encap' }], options.innerHttp2 ? HTTP2_UPSTREAM : ''), cluster('proxy', [{ port: proxyPort }], `${options.http2 ? HTTP2_UPSTREAM : ''}${options.connectTimeout ? `    connect_timeout: ${options.connectTimeout}\n` : ''}`)],
  });
}

/** A file access log with the response code, flags and details of each request. */
const accessLog = (path: string) => fileAccessLog(path, '%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%\n');

/** An HTTP/1.1 proxy that refuses every CONNECT with `status`, extra headers and a body. */
async function startRefusingProxy(t: Test, status: number, headers: Record<string, string>, body: string) {
  const seen: string[] = [];
  const server = createServer();
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    seen.push(req.url ?? '');
    socket.on('error', () => {});
    const lines = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)) }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.end(`HTTP/1.1 ${status} Refused\r\n${lines.join('')}\r\n${body}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return { port: (server.address() as AddressInfo).port, seen };
}

function parse(raw: string): { status: number; headers: Map<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, split).split('\r\n');
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(split + 4) };
}

for (const [status, headers, body] of [
  [403, { 'x-proxy-policy': 'origin.example is blocked' }, 'blocked by corporate policy\n'],
  [407, { 'proxy-authenticate': 'Basic realm="corp"' }, 'proxy authentication required\n'],
  [502, { 'x-proxy-upstream': 'unreachable' }, 'the origin did not answer the proxy\n'],
] as const) {
  t.test(`a CONNECT refused with ${status}: curl gets ${status}, the proxy's body and (propagate_response_headers) its headers`, async (t) => {
    const proxyServer = await startRefusingProxy(t, status, headers, body);
    const proxy = await startNodevoy(t, config(proxyServer.port, { propagate: true }));
    const port = await proxy.admin.listenerPort('http');
    const result = await curl(['-si', `http://127.0.0.1:${port}/download`]);
    t.equal(result.code, 0, result.stderr);
    const response = parse(result.stdout);
    t.equal(response.status, status);
    t.equal(response.body, body);
    for (const [name, value] of Object.entries(headers)) t.equal(response.headers.get(name), value, name);
    t.equal(response.headers.get('x-nodevoy-hop-failure'), `tunnel_response_${status}`);
    t.same(proxyServer.seen, ['origin.example:443'], 'the tunnel was asked for');
    const stats = await proxy.admin.stats();
    t.equal(stats.get(`http.ingress.downstream_rq_${Math.floor(status / 100)}xx`), 1);
    t.equal(stats.get('cluster.proxy.upstream_rq_total'), 1, 'the refused tunnel is one upstream request');
  });
}

t.test('without propagate_response_headers the status and body still arrive, the proxy headers do not', async (t) => {
  const proxyServer = await startRefusingProxy(t, 403, { 'x-proxy-policy': 'secret' }, 'denied\n');
  const proxy = await startNodevoy(t, config(proxyServer.port));
  const result = await curl(['-si', `http://127.0.0.1:${await proxy.admin.listenerPort('http')}/`]);
  const response = parse(result.stdout);
  t.equal(response.status, 403);
  t.equal(response.body, 'denied\n');
  t.equal(response.headers.get('x-proxy-policy'), undefined);
});

t.test('the connection manager reaches the internal listener over HTTP/2: the refusal still arrives', async (t) => {
  const proxyServer = await startRefusingProxy(t, 407, { 'proxy-authenticate': 'Basic realm="corp"' }, 'log in first\n');
  const proxy = await startNodevoy(t, config(proxyServer.port, { innerHttp2: true, propagate: true }));
  const result = await curl(['-si', `http://127.0.0.1:${await proxy.admin.listenerPort('http')}/`]);
  const response = parse(result.stdout);
  t.equal(response.status, 407);
  t.equal(response.body, 'log in first\n');
  t.equal(response.headers.get('proxy-authenticate'), 'Basic realm="corp"');
  t.equal(await proxy.admin.stat('cluster.to_encap.upstream_cx_http2_total'), 1, 'the inner hop spoke HTTP/2');
});

t.test('an HTTP/2 upstream proxy refusing with 403 and a body', async (t) => {
  const server = createHttp2Server();
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 403, 'content-type': 'text/plain' });
    stream.end('no tunnels to origin.example\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  const proxy = await startNodevoy(t, config((server.address() as AddressInfo).port, { http2: true, propagate: true }));
  const result = await curl(['-si', `http://127.0.0.1:${await proxy.admin.listenerPort('http')}/`]);
  const response = parse(result.stdout);
  t.equal(response.status, 403);
  t.equal(response.body, 'no tunnels to origin.example\n');
  t.equal(response.headers.get('content-type'), 'text/plain');
});

t.test('the upstream proxy cannot be reached: 502 naming the connect failure, not 503', async (t) => {
  const proxy = await startNodevoy(t, config(await closedPort()));
  const result = await curl(['-si', `http://127.0.0.1:${await proxy.admin.listenerPort('http')}/`]);
  const response = parse(result.stdout);
  t.equal(response.status, 502);
  t.equal(response.headers.get('x-nodevoy-hop-failure'), 'connect_failure');
  t.match(response.body, /^upstream connect error: /);
  t.equal(await proxy.admin.stat('cluster.proxy.upstream_cx_connect_fail'), 1);
});

t.test('the upstream proxy never completes the handshake: 504 naming the connect timeout, not 503', async (t) => {
  const hung = await startHungServer();
  t.teardown(() => hung.close());
  const proxy = await startNodevoy(t, config(hung.port, { connectTimeout: '0.25s' }));
  const result = await curl(['-si', `http://127.0.0.1:${await proxy.admin.listenerPort('http')}/`]);
  const response = parse(result.stdout);
  t.equal(response.status, 504);
  t.equal(response.headers.get('x-nodevoy-hop-failure'), 'connect_timeout');
  t.equal(response.body, 'upstream connect error: connect timeout');
  t.equal(await proxy.admin.stat('cluster.proxy.upstream_cx_connect_timeout'), 1);
});

for (const [name, start, line] of [
  ['a refused tunnel', async (t: Test) => (await startRefusingProxy(t, 403, {}, 'no\n')).port, '403 UF inner_hop_failure{tunnel_response_403}'],
  ['an unreachable upstream proxy', () => closedPort(), '502 UF inner_hop_failure{connect_failure}'],
] as const) {
  t.test(`the access log names the inner hop failure: ${name}`, async (t) => {
    const proxyPort = await start(t);
    const path = join(t.testdir(), 'access.log');
    const proxy = await startNodevoy(t, config(proxyPort, { accessLogPath: path }));
    await curl([`http://127.0.0.1:${await proxy.admin.listenerPort('http')}/`]);
    t.same(await waitForLines(path, 1), [line]);
  });
}

t.test('other requests on the same proxy carry on after a refusal', async (t) => {
  const proxyServer = await startRefusingProxy(t, 403, {}, 'no\n');
  const proxy = await startNodevoy(t, config(proxyServer.port));
  const port = await proxy.admin.listenerPort('http');
  const results = await Promise.all([1, 2, 3].map(() => curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/`])));
  t.same(
    results.map((r) => r.stdout),
    ['403', '403', '403'],
  );
  t.equal(await proxy.admin.stat('http.ingress.downstream_rq_4xx'), 3);
});
