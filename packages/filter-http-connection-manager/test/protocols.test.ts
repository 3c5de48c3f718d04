import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttp2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ADMIN, anyHostRoutes, collect, connectTo, curl, HTTP2_UPSTREAM, http2Request, http2Session, httpConnectionManager, httpRequest, namedReply, readHttp1Responses, startHttpUpstream, startNodevoy, tcpListener } from '@nodevoy/test-kit';
import { NODE_ADDRESS } from '../src/forwarded-for.js';

/** HTTP/1.1 and HTTP/2 on both sides of the connection manager, and its per-connection options. */

function hcmConfig(options: { hcmExtra?: string; clusters: string; routes?: string }): string {
  const routes = options.routes ?? '              - { match: { prefix: / }, route: { cluster: backend } }\n';
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ extra: options.hcmExtra, routeConfig: anyHostRoutes(routes) }))}  clusters:
${options.clusters}`;
}

function backend(port: number, extra = ''): string {
  return `  - name: backend
${extra}    load_assignment:
      cluster_name: backend
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]
`;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

t.test('HTTP/1.1 downstream: pipelining, chunked bodies both ways, a large body intact', async (t) => {
  const upstream = await startHttpUpstream(t, (request, response) => {
    if (request.url === '/chunked') {
      response.write('first chunk, ');
      response.end('second chunk');
    } else if (request.url === '/digest') response.end(sha256(request.bodyBytes));
    else namedReply('up')(request, response);
  });
  const proxy = await startNodevoy(t, hcmConfig({ clusters: backend(upstream.port) }));
  const port = await proxy.admin.listenerPort('http');

  t.test('three pipelined requests are answered in order on one connection', async (t) => {
    const client = await connectTo(t, port);
    const responses = readHttp1Responses(client, 3);
    client.write('GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n');
    t.same(
      (await responses).map((r) => r.body),
      ['up GET /1', 'up GET /2', 'up GET /3'],
    );
  });

  t.test('a chunked request body reaches the upstream; a chunked response reaches the client', async (t) => {
    const client = await connectTo(t, port);
    const received = collect(client);
    client.write('POST /digest HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    t.match((await received).data.toString(), new RegExp(`\\r\\n\\r\\n${sha256('hello world')}$`));
    const chunked = await curl(['-s', '-i', `http://127.0.0.1:${port}/chunked`]);
    t.match(chunked.stdout, /transfer-encoding: chunked\r\n/i, 'no length known: chunked downstream too');
    t.match(chunked.stdout, /\r\n\r\nfirst chunk, second chunk$/);
  });

  t.test('an 8 MiB POST arrives byte for byte', async (t) => {
    const body = randomBytes(8 * 1024 * 1024);
    const response = await httpRequest(port, { method: 'POST', path: '/digest', body });
    t.equal(response.body, sha256(body));
  });
});

t.test('HTTP/2 downstream (prior knowledge) to an HTTP/1.1 upstream', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startNodevoy(t, hcmConfig({ clusters: backend(upstream.port) }));
  const session = await http2Session(t, await proxy.admin.listenerPort('http'));
  const [get, post] = await Promise.all([
    http2Request(session, { ':path': '/h2-get', ':authority': 'example.com' }),
    http2Request(session, { ':method': 'POST', ':path': '/h2-post', ':authority': 'example.com' }, 'h2 body'),
  ]);
  t.equal(get.headers[':status'], 200);
  t.equal(get.body, 'upstream GET /h2-get');
  t.equal(post.body, 'upstream POST /h2-post h2 body');
  t.equal(upstream.requests[0]?.headers.host, 'example.com', ':authority becomes Host upstream');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('http.ingress.downstream_cx_http2_total'), 1);
  t.equal(stats.get('http.ingress.downstream_rq_http2_total'), 2);
});

async function startHttp2Upstream(t: Test) {
  const server = createHttp2Server();
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  server.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'x-upstream-protocol': 'h2' });
    stream.end(`h2 upstream ${headers[':method']} ${headers[':path']}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, sessions };
}

t.test('an HTTP/2 cluster: concurrent requests multiplex on one upstream connection', async (t) => {
  const upstream = await startHttp2Upstream(t);
  const proxy = await startNodevoy(
    t,
    hcmConfig({
      clusters: backend(
        upstream.port,
        `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
`,
      ),
    }),
  );
  const port = await proxy.admin.listenerPort('http');
  const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => httpRequest(port, { path: `/m/${i}` })));
  t.same(
    responses.map((r) => r.body),
    Array.from({ length: 10 }, (_, i) => `h2 upstream GET /m/${i}`),
  );
  t.equal(responses[0]?.headers['x-upstream-protocol'], 'h2');
  const stats = await proxy.admin.stats();
  t.equal(stats.get('cluster.backend.upstream_cx_http2_total'), 1);
  t.equal(stats.get('cluster.backend.upstream_rq_total'), 10);
  t.equal(upstream.sessions.size, 1);
});

t.test('response trailers reach an HTTP/2 client (gRPC status), from HTTP/2 and HTTP/1.1 upstreams', async (t) => {
  // An HTTP/2 upstream answering like a gRPC server: headers, a message, then grpc-status in trailers.
  const grpcLike = createHttp2Server();
  grpcLike.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '7', 'grpc-message': `denied ${String(headers[':path'])}` }));
    stream.end('message');
  });
  grpcLike.listen(0, '127.0.0.1');
  await once(grpcLike, 'listening');
  t.teardown(() => grpcLike.close());
  // An HTTP/1.1 upstream with a chunked body and a trailer.
  const chunked = await startHttpUpstream(t, (_request, response) => {
    response.setHeader('trailer', 'x-checksum');
    response.write('chunked ');
    response.addTrailers({ 'x-checksum': 'abc123' });
    response.end('body');
  });
    const proxy = await startNodevoy(
    t,
    hcmConfig({
      clusters: backend((grpcLike.address() as AddressInfo).port, HTTP2_UPSTREAM) + backend(chunked.port).replace(/backend/g, 'h1backend'),
      routes: '              - { match: { prefix: /h1 }, route: { cluster: h1backend } }\n              - { match: { prefix: / }, route: { cluster: backend } }\n',
    }),
  );
  const session = await http2Session(t, await proxy.admin.listenerPort('http'));
  const call = async (path: string) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc' });
    stream.end('request');
    const trailers = once(stream, 'trailers').then(([headers]) => headers as Record<string, string>);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { body: Buffer.concat(chunks).toString(), trailers: await trailers };
  };
  const grpc = await call('/pkg.Service/Method');
  t.equal(grpc.body, 'message');
  t.equal(grpc.trailers['grpc-status'], '7');
  t.equal(grpc.trailers['grpc-message'], 'denied /pkg.Service/Method');
  const h1 = await call('/h1/chunked');
  t.equal(h1.body, 'chunked body');
  t.equal(h1.trailers['x-checksum'], 'abc123', 'an HTTP/1.1 chunked trailer too');
  const plain = await http2Request(session, { ':path': '/h1/again' });
  t.equal(plain.body, 'chunked body', 'a stream without trailers still ends cleanly');
  // A request that ends in trailers ends there (an HTTP/1.1 upstream does not get them, as Envoy).
  const withTrailers = session.request({ ':method': 'POST', ':path': '/h1/request-trailers' }, { waitForTrailers: true });
  withTrailers.on('wantTrailers', () => withTrailers.sendTrailers({ 'x-request-trailer': '1' }));
  withTrailers.end('body');
  const chunks: Buffer[] = [];
  for await (const chunk of withTrailers) chunks.push(chunk as Buffer);
  t.equal(Buffer.concat(chunks).toString(), 'chunked body', 'a request with trailers is answered');
});

t.test('max_requests_per_connection: downstream and upstream connections retire after N requests', async (t) => {
  const upstream = await startHttpUpstream(t);
  const limit = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: { max_requests_per_connection: 2 }
        explicit_http_config: { http_protocol_options: {} }
`;
  const proxy = await startNodevoy(
    t,
    hcmConfig({ hcmExtra: '          common_http_protocol_options: { max_requests_per_connection: 3 }\n', clusters: backend(upstream.port, limit) }),
  );
  const client = await connectTo(t, await proxy.admin.listenerPort('http'));
  const received = collect(client);
  const heads: string[] = [];
  for (const n of [1, 2, 3]) {
    const response = readHttp1Responses(client, 1);
    client.write(`GET /${n} HTTP/1.1\r\nHost: a\r\n\r\n`);
    heads.push((await response)[0]?.head ?? '');
  }
  t.equal(heads.filter((head) => head.startsWith('HTTP/1.1 200 OK')).length, 3, 'three answers');
  t.notMatch(heads[1], /connection: close/i);
  t.match(heads[2], /connection: close/i, 'the third says connection: close');
  t.equal((await received).end, 'fin', 'then the proxy closes the connection');
  const upstreamConnections = upstream.requests.map((r) => r.remotePort);
  t.equal(upstreamConnections[0], upstreamConnections[1], 'upstream: the first two requests share a connection');
  t.not(upstreamConnections[2], upstreamConnections[1], 'the third needs a new one');
});

t.test('a pooled upstream connection carries many requests without piling up listeners', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startNodevoy(t, hcmConfig({ clusters: backend(upstream.port) }));
  const port = await proxy.admin.listenerPort('http');
  for (let n = 0; n < 20; n++) t.equal((await httpRequest(port, { path: `/${n}` })).status, 200);
  t.equal(new Set(upstream.requests.map((r) => r.remotePort)).size, 1, 'one upstream connection served them all');
  t.notMatch(proxy.stderr(), /MaxListenersExceededWarning/, 'no listener is left behind per request');
});

t.test('via, normalize_path, merge_slashes, strip_any_host_port, use_remote_address', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startNodevoy(
    t,
    hcmConfig({
      hcmExtra: `          via: nodevoy-test
          normalize_path: true
          merge_slashes: true
          strip_any_host_port: true
          use_remote_address: true
`,
      clusters: backend(upstream.port),
    }),
  );
  const port = await proxy.admin.listenerPort('http');
  const response = await httpRequest(port, { path: '/a//b/./c/../%7Euser?x=//y', headers: { host: 'example.com:8443', 'x-forwarded-for': '10.0.0.1' } });
  t.equal(response.headers.via, 'nodevoy-test', 'via on the response');
  const seen = upstream.requests[0];
  t.equal(seen?.url, '/a/b/~user?x=//y', 'dot segments resolved, slashes merged, %7E decoded; the query untouched');
  t.equal(seen?.headers.host, 'example.com', 'the port is stripped');
  t.equal(seen?.headers.via, 'nodevoy-test');
  t.equal(seen?.headers['x-forwarded-for'], `10.0.0.1,${NODE_ADDRESS}`, 'the peer is appended; a loopback peer as the node’s address, as Envoy');
  t.equal((await httpRequest(port, { path: '/bad%zzescape' })).status, 400, 'a path that cannot be normalized is refused');
});

t.test('headers_with_underscores_action: DROP_HEADER and REJECT_REQUEST', async (t) => {
  const upstream = await startHttpUpstream(t);
  const start = (action: string) =>
    startNodevoy(t, hcmConfig({ hcmExtra: `          common_http_protocol_options: { headers_with_underscores_action: ${action} }\n`, clusters: backend(upstream.port) }));
  const dropping = await start('DROP_HEADER');
  const ok = await httpRequest(await dropping.admin.listenerPort('http'), { path: '/d', headers: { x_under: '1', 'x-dash': '2' } });
  t.equal(ok.status, 200);
  t.equal(upstream.requests[0]?.headers.x_under, undefined);
  t.equal(upstream.requests[0]?.headers['x-dash'], '2');
  t.equal(await dropping.admin.stat('http.ingress.dropped_headers_with_underscores'), 1);

  const rejecting = await start('REJECT_REQUEST');
  const refused = await httpRequest(await rejecting.admin.listenerPort('http'), { path: '/r', headers: { x_under: '1' } });
  t.equal(refused.status, 400);
  t.equal(await rejecting.admin.stat('http.ingress.requests_rejected_with_underscores_in_headers'), 1);
});
