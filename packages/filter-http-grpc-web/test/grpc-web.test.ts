// envoy.filters.http.grpc_web between an HTTP/1.1 gRPC-Web client and a real gRPC server
// (@grpc/grpc-js over HTTP/2): binary and base64 text requests and answers, the trailers as the
// last frame, a trailers-only error, a non-gRPC answer (no upstream, a bad base64 body) turned
// into grpc-status and grpc-message, the grpc-web.* stats, and other requests left alone.
import { createRequire } from 'node:module';
import t from 'tap';
import { ADMIN, anyHostRoutes, closedPort, cluster, HTTP2_UPSTREAM, httpConnectionManager, httpRequest, startHttpUpstream, startInProcess, tcpListener, type TestLike } from '@nodevoy/test-kit';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');


/** A gRPC server with `/test.Echo/Say` (answers `echo:<request>`, a trailer) and `/test.Echo/Fail` (NOT_FOUND). */
async function echoServer(t: TestLike): Promise<number> {
  const id = (bytes: Buffer) => bytes;
  const method = (path: string) => ({ path, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id });
  const server = new grpc.Server();
  server.addService(
    { Say: method('/test.Echo/Say'), Fail: method('/test.Echo/Fail') },
    {
      Say: (call: import('@grpc/grpc-js').ServerUnaryCall<Buffer, Buffer>, callback: import('@grpc/grpc-js').sendUnaryData<Buffer>) => {
        const trailer = new grpc.Metadata();
        trailer.set('x-trailer', 'yes');
        callback(null, Buffer.from(`echo:${call.request.toString()}`), trailer);
      },
      Fail: (_call: unknown, callback: import('@grpc/grpc-js').sendUnaryData<Buffer>) => callback({ code: grpc.status.NOT_FOUND, details: 'no such thing', name: 'NotFound', message: 'no such thing' }),
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  t.teardown(() => server.forceShutdown());
  return port;
}

/** One gRPC message in its length-prefixed frame. */
function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

/** A gRPC-Web body as its frames: data frames' text and the trailer frame's lines. */
function frames(body: Buffer): { data: string[]; trailers: string | undefined } {
  const data: string[] = [];
  let trailers: string | undefined;
  let rest = body;
  while (rest.length >= 5) {
    const length = rest.readUInt32BE(1);
    const payload = rest.subarray(5, 5 + length).toString();
    if (rest[0] === 0x80) trailers = payload;
    else data.push(payload);
    rest = rest.subarray(5 + length);
  }
  return { data, trailers };
}

async function setup(t: TestLike) {
  const echoPort = await echoServer(t);
  const plain = await startHttpUpstream(t);
  const routes = `              - { match: { prefix: /down }, route: { cluster: down } }
              - { match: { prefix: /plain }, route: { cluster: plain } }
              - { match: { prefix: / }, route: { cluster: grpc } }
`;
  const hcm = httpConnectionManager({
    routeConfig: anyHostRoutes(routes),
    httpFilters: `          - name: envoy.filters.http.grpc_web
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb }
`,
  });
  const proxy = await startInProcess(
    t,
    `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', hcm)}  clusters:\n${cluster('grpc', [{ port: echoPort }], HTTP2_UPSTREAM)}${cluster('down', [{ port: await closedPort() }])}${cluster('plain', [{ port: plain.port }])}`,
  );
  const post = (path: string, contentType: string, body: Buffer | string, accept?: string) =>
    httpRequest(proxy.port('http'), { method: 'POST', path, headers: { 'content-type': contentType, ...(accept ? { accept } : {}) }, body });
  return { proxy, plain, post };
}

t.test('binary: the answer’s message and its trailers as the last frame', async (t) => {
  const { proxy, post } = await setup(t);
  const response = await post('/test.Echo/Say', 'application/grpc-web+proto', frame('hello'));
  t.equal(response.status, 200);
  t.equal(response.headers['content-type'], 'application/grpc-web+proto');
  const { data, trailers } = frames(response.bodyBytes);
  t.same(data, ['echo:hello']);
  t.match(trailers, /^grpc-status:0\r\n/);
  t.match(trailers, /x-trailer:yes\r\n/);
  t.same(response.trailers, {}, 'no HTTP trailers: they are in the body');
  t.equal(proxy.stat('cluster.grpc.grpc-web.test.Echo.Say.0'), 1);
  t.equal(proxy.stat('cluster.grpc.grpc-web.test.Echo.Say.success'), 1);
  t.equal(proxy.stat('cluster.grpc.grpc-web.test.Echo.Say.total'), 1);
});

t.test('text: a base64 request, and a base64 answer when the client accepts text', async (t) => {
  const { post } = await setup(t);
  const response = await post('/test.Echo/Say', 'application/grpc-web-text', frame('hello').toString('base64'), 'application/grpc-web-text');
  t.equal(response.status, 200);
  t.equal(response.headers['content-type'], 'application/grpc-web-text+proto');
  // Each frame is encoded on its own: decode them one padded group at a time.
  const decoded = Buffer.concat((response.body.match(/[A-Za-z0-9+/]*={0,2}/g) ?? []).filter(Boolean).map((part) => Buffer.from(part, 'base64')));
  const { data, trailers } = frames(decoded);
  t.same(data, ['echo:hello']);
  t.match(trailers, /grpc-status:0/);
});

t.test('a gRPC error answered trailers-only keeps its status in the headers', async (t) => {
  const { proxy, post } = await setup(t);
  const response = await post('/test.Echo/Fail', 'application/grpc-web+proto', frame('x'));
  t.equal(response.status, 200);
  t.equal(response.headers['grpc-status'], '5');
  t.equal(response.headers['grpc-message'], 'no%20such%20thing');
  t.equal(response.headers['content-type'], 'application/grpc-web+proto');
  t.equal(proxy.stat('cluster.grpc.grpc-web.test.Echo.Fail.failure'), 1);
  t.equal(proxy.stat('cluster.grpc.grpc-web.test.Echo.Fail.5'), 1);
});

t.test('an answer that is not gRPC keeps its status and turns its body into grpc-message', async (t) => {
  const { post } = await setup(t);
  const down = await post('/down/x', 'application/grpc-web+proto', frame('x'));
  t.equal(down.status, 503);
  t.equal(down.headers['grpc-status'], '14', '503 is UNAVAILABLE');
  t.equal(down.headers['grpc-message'], 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure');
  t.equal(down.headers['content-length'], '0');
  t.equal(down.body, '');
  const bad = await post('/test.Echo/Say', 'application/grpc-web-text', 'abc');
  t.equal(bad.status, 400);
  t.equal(bad.headers['grpc-status'], '13');
  t.equal(bad.headers['grpc-message'], 'Bad gRPC-web request, invalid base64 data.');
  const notBase64 = await post('/test.Echo/Say', 'application/grpc-web-text', '!!!!');
  t.equal(notBase64.status, 400);
});

t.test('requests that are not gRPC-Web pass untouched', async (t) => {
  const { plain, post } = await setup(t);
  const response = await post('/plain/page', 'text/plain', 'hi');
  t.equal(response.status, 200);
  t.equal(response.headers['content-type'], 'text/plain');
  t.notOk(response.headers['grpc-status']);
  t.equal(plain.requests[0]?.headers['content-type'], 'text/plain');
  t.equal(plain.requests[0]?.headers['content-length'], '2');
});
