// `auto_config` on a TLS cluster: each host's first connection offers h2 and http/1.1 and the
// codec follows what the upstream chose (HTTP/1.1 when it chose nothing), as Envoy's mixed
// pool. Real TLS upstreams: node:http2 with HTTP/1.1 fallback, node:https, a tls server
// without ALPN. Requests that arrive during the handshake wait and are carried; a failed
// connect fails them; tcp_proxy tunnels over it; a cluster that cannot negotiate is refused.
import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import {
  ADMIN,
  UPSTREAM_TLS_CONTEXT,
  anyHostRoutes,
  cluster,
  closedPort,
  collect,
  configProblems,
  connectTo,
  createCertificateAuthority,
  httpConnectionManager,
  httpRequest,
  startInProcess,
  tcpListener,
  tcpProxyFilter,
  tlsTransportSocket,
  type IssuedCertificate,
  type TestLike,
} from '@nodevoy/test-kit';

const AUTO = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        auto_config: { http2_protocol_options: {} }
`;

interface Seen {
  readonly method: string;
  readonly httpVersion: string;
  readonly alpn: string | false | undefined;
  readonly body: string;
}

/** Records each request (its HTTP version, the connection's ALPN, the body) and answers. */
function recorder(seen: Seen[]) {
  return (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const socket = request.socket as { alpnProtocol?: string | false };
      seen.push({ method: request.method ?? '', httpVersion: request.httpVersion, alpn: socket.alpnProtocol, body: Buffer.concat(chunks).toString() });
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`HTTP/${request.httpVersion}`);
    });
  };
}

/**
 * A TLS HTTP upstream: `h2` (node:http2, HTTP/1.1 fallback), `http1` (node:https, ALPN
 * http/1.1) or `none` (node:https, no ALPN). HTTP/2 CONNECT requests go to `onConnect`.
 */
async function startTlsHttpUpstream(t: TestLike, certificate: IssuedCertificate, speaks: 'h2' | 'http1' | 'none', onConnect?: (request: Http2ServerRequest, response: Http2ServerResponse) => void) {
  const seen: Seen[] = [];
  const credentials = { cert: certificate.cert, key: certificate.key };
  const server =
    speaks === 'h2'
      ? createSecureServer({ ...credentials, allowHTTP1: true }, recorder(seen))
      : createHttpsServer({ ...credentials, ...(speaks === 'http1' ? { ALPNProtocols: ['http/1.1'] } : {}) }, recorder(seen));
  if (onConnect) server.on('connect', onConnect);
  let connections = 0;
  server.on('secureConnection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return { port: (server.address() as AddressInfo).port, seen, connections: () => connections };
}

/** An HTTP listener `http` routing everything to the auto_config TLS cluster `web`. */
function routerConfig(port: number, transportSocket = tlsTransportSocket(UPSTREAM_TLS_CONTEXT, { sni: 'web.test' })): string {
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: web } }\n') }))}  clusters:
${cluster('web', [{ port }], `${AUTO}    transport_socket: ${transportSocket}\n`)}`;
}

t.test('an upstream that chooses h2: requests go over one HTTP/2 connection, counted as http2', async (t) => {
  const ca = await createCertificateAuthority();
  const upstream = await startTlsHttpUpstream(t, await ca.issue({ dns: ['web.test'] }), 'h2');
  const proxy = await startInProcess(t, routerConfig(upstream.port));
  const port = proxy.port('http');
  // Three at once: the later two wait for the first handshake and share its connection.
  const responses = await Promise.all(['a', 'b', 'c'].map((body) => httpRequest(port, { method: 'POST', body })));
  t.same(
    responses.map((r) => [r.status, r.body]),
    [
      [200, 'HTTP/2.0'],
      [200, 'HTTP/2.0'],
      [200, 'HTTP/2.0'],
    ],
  );
  t.same(upstream.seen.map((s) => s.body).sort(), ['a', 'b', 'c'], 'bodies sent while the handshake was under way arrive');
  t.same([...new Set(upstream.seen.map((s) => s.alpn))], ['h2']);
  t.equal(upstream.connections(), 1, 'one connection carries them all');
  t.equal(proxy.stat('cluster.web.upstream_cx_http2_total'), 1);
  t.equal(proxy.stat('cluster.web.upstream_cx_http1_total'), 0);
  t.equal(proxy.stat('cluster.web.upstream_rq_total'), 3);
  t.equal(proxy.stat('cluster.web.upstream_cx_total'), 2, 'counted again as the HTTP/2 client adopts it, as Envoy does');
});

t.test('an upstream that chooses http/1.1, or no ALPN at all: HTTP/1.1, keep-alive, counted as http1', async (t) => {
  const ca = await createCertificateAuthority();
  const certificate = await ca.issue({ dns: ['web.test'] });
  for (const speaks of ['http1', 'none'] as const) {
    const upstream = await startTlsHttpUpstream(t, certificate, speaks);
    const proxy = await startInProcess(t, routerConfig(upstream.port));
    const port = proxy.port('http');
    t.equal((await httpRequest(port, { method: 'POST', body: 'first' })).body, 'HTTP/1.1', `${speaks}: the first request`);
    t.equal((await httpRequest(port, { method: 'POST', body: 'second' })).body, 'HTTP/1.1', `${speaks}: the next one`);
    t.same(
      upstream.seen.map((s) => s.body),
      ['first', 'second'],
    );
    t.equal(upstream.connections(), 1, `${speaks}: the connection whose handshake chose is pooled and reused`);
      t.equal(proxy.stat('cluster.web.upstream_cx_http1_total'), 1);
    t.equal(proxy.stat('cluster.web.upstream_cx_http2_total'), 0);
  }
});

t.test('configured alpn_protocols win over the pool’s choices', async (t) => {
  const ca = await createCertificateAuthority();
  const upstream = await startTlsHttpUpstream(t, await ca.issue({ dns: ['web.test'] }), 'h2');
  const proxy = await startInProcess(t, routerConfig(upstream.port, tlsTransportSocket(UPSTREAM_TLS_CONTEXT, { sni: 'web.test', common_tls_context: { alpn_protocols: ['http/1.1'] } })));
  t.equal((await httpRequest(proxy.port('http'))).body, 'HTTP/1.1');
  t.same(upstream.seen.map((s) => s.alpn), ['http/1.1']);
});

t.test('the first connection fails: every waiting request gets the connect failure', async (t) => {
  const proxy = await startInProcess(t, routerConfig(await closedPort()));
  const port = proxy.port('http');
  const responses = await Promise.all([httpRequest(port), httpRequest(port)]);
  t.same(
    responses.map((r) => r.status),
    [503, 503],
  );
  t.match(responses[0]?.body, /upstream connect error or disconnect\/reset before headers/);
  t.equal(proxy.stat('cluster.web.upstream_cx_connect_fail'), 1, 'one connection tried for both');
  t.equal(proxy.stat('cluster.web.upstream_rq_pending_failure_eject'), 2);
});

t.test('tcp_proxy tunnels in CONNECT over a cluster where ALPN chose h2', async (t) => {
  const ca = await createCertificateAuthority();
  const upstream = await startTlsHttpUpstream(t, await ca.issue({ dns: ['web.test'] }), 'h2', (request, response) => {
    // An echoing CONNECT target: 200, then every byte back, then the end.
    response.writeHead(200);
    request.pipe(response);
  });
  const tls = tlsTransportSocket(UPSTREAM_TLS_CONTEXT, { sni: 'web.test' });
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:
  listeners:
${tcpListener('tcp', tcpProxyFilter({ statPrefix: 'tunnel', cluster: 'web', extra: '          tunneling_config: { hostname: "backend.test:443" }\n' }))}  clusters:
${cluster('web', [{ port: upstream.port }], `${AUTO}    transport_socket: ${tls}\n`)}`,
  );
  const client = await connectTo(t, proxy.port('tcp'));
  const received = collect(client);
  client.end('through the tunnel');
  const { data, end } = await received;
  t.equal(data.toString(), 'through the tunnel');
  t.equal(end, 'fin', 'the upstream’s END_STREAM reaches the client as a FIN');
  t.equal(proxy.stat('cluster.web.upstream_cx_http2_total'), 1);
});

t.test('auto_config on a cluster without TLS is refused, in Envoy’s words', async (t) => {
  const message = configProblems(routerConfig(1, '').replace(/    transport_socket: \n/, ''));
  t.match(message, /^--config-yaml:\d+:\d+: static_resources\.clusters\[0\]\.typed_extension_protocol_options: ALPN configured for cluster web which has a non-ALPN transport socket$/m);
});
