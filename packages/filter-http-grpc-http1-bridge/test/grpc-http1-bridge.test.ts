// envoy.filters.http.grpc_http1_bridge between HTTP/1.1 (and HTTP/2) clients and a real HTTP/2
// gRPC upstream: the trailers' status in the response headers with a content-length, 503 for a
// call that failed in its trailers, trailers-only answers and HTTP/2 callers untouched.
import { once } from 'node:events';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, configProblems, HTTP2_UPSTREAM, http2Request, http2Session, httpConnectionManager, httpRequest, startInProcess, tcpListener, type TestLike } from '@nodevoy/test-kit';

const frame = (text: string) => {
  const body = Buffer.from(text);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
};

/** gRPC over HTTP/2: /svc/Say answers a message and OK, /svc/Partial a message and INTERNAL, anything else trailers-only NOT_FOUND. */
async function grpcUpstream(t: TestLike): Promise<number> {
  const server = createServer();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => {
      const path = headers[':path'];
      if (path !== '/svc/Say' && path !== '/svc/Partial') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'not here' }, { endStream: true });
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(path === '/svc/Say' ? { 'grpc-status': '0' } : { 'grpc-status': '13', 'grpc-message': 'broke midway' }));
      stream.end(frame('answer'));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return (server.address() as AddressInfo).port;
}

async function setup(t: TestLike) {
  const upstream = await grpcUpstream(t);
  const httpFilters = '          - name: envoy.filters.http.grpc_http1_bridge\n            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_http1_bridge.v3.Config }\n';
    const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: grpc } }\n'), httpFilters }))}  clusters:\n${cluster('grpc', [{ port: upstream }], HTTP2_UPSTREAM)}`,
  );
  const call = (path: string) => httpRequest(proxy.port('http'), { method: 'POST', path, headers: { 'content-type': 'application/grpc' }, body: frame('question') });
  return { proxy, call };
}

t.test('HTTP/1.1 callers: the status from the trailers in the headers, 503 when the call failed', async (t) => {
  const { call } = await setup(t);
  const ok = await call('/svc/Say');
  t.equal(ok.status, 200);
  t.equal(ok.headers['grpc-status'], '0');
  t.equal(ok.headers['content-length'], String(frame('answer').length), 'a content-length instead of chunks');
  t.same(ok.bodyBytes, frame('answer'));
  const partial = await call('/svc/Partial');
  t.equal(partial.status, 503);
  t.equal(partial.headers['grpc-status'], '13');
  t.equal(partial.headers['grpc-message'], 'broke midway');
  t.same(partial.bodyBytes, frame('answer'), 'the message that came before the failure');
  const missing = await call('/svc/Gone');
  t.equal(missing.status, 200, 'a trailers-only answer passes as it is, as Envoy');
  t.equal(missing.headers['grpc-status'], '5');
});

t.test('HTTP/2 callers read trailers: nothing is bridged', async (t) => {
  const { proxy } = await setup(t);
  const session = await http2Session(t, proxy.port('http'));
  const response = await http2Request(session, { ':method': 'POST', ':path': '/svc/Partial', 'content-type': 'application/grpc' }, 'x');
  t.equal(response.headers[':status'], 200);
  t.notOk(response.headers['grpc-status'], 'the status stays in the trailers');
});

t.test('config errors name the field', async (t) => {
  const yaml = `static_resources:\n  listeners:\n${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200 } }\n'), httpFilters: '          - name: envoy.filters.http.grpc_http1_bridge\n            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_http1_bridge.v3.Config, upgrade_protobuf_to_grpc: true }\n' }))}`;
  t.match(configProblems(yaml), /upgrade_protobuf_to_grpc.*not implemented by nodevoy yet/);
});
