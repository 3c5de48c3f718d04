// Local replies to gRPC requests, as Envoy makes them: trailers-only 200 with the grpc-status
// the HTTP status stands for and the body as a percent-encoded grpc-message, so a gRPC client
// (@grpc/grpc-js here) sees UNAVAILABLE, PERMISSION_DENIED or UNIMPLEMENTED with the reason.
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { ADMIN, anyHostRoutes, closedPort, cluster, http2Request, http2Session, httpConnectionManager, httpRequest, startInProcess, tcpListener, type TestLike } from '@nodevoy/test-kit';

const ROUTES = anyHostRoutes(`              - { match: { prefix: /down }, route: { cluster: down } }
              - { match: { prefix: /direct }, direct_response: { status: 403, body: { inline_string: "no way, 100%\\n" } } }
`);

/** The connection manager, cluster `down` on a port nothing listens on. */
async function proxy(t: TestLike) {
  return startInProcess(t, `${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', httpConnectionManager({ routeConfig: ROUTES }))}  clusters:\n${cluster('down', [{ port: await closedPort() }])}`);
}

/** One unary call with @grpc/grpc-js; resolves with its error (or undefined when it succeeded). */
function unaryCall(t: TestLike, port: number, path: string): Promise<grpc.ServiceError | undefined> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => client.close());
  const identity = (bytes: Buffer) => bytes;
  return new Promise((resolve) => client.makeUnaryRequest(path, identity, identity, Buffer.from('hello'), (err) => resolve(err ?? undefined)));
}

t.test('a gRPC client gets the local replies as gRPC statuses', async (t) => {
  const port = (await proxy(t)).port('http');
  const down = await unaryCall(t, port, '/down.Service/Call');
  t.equal(down?.code, grpc.status.UNAVAILABLE);
  t.match(down?.details, /^upstream connect error or disconnect\/reset before headers/);
  const denied = await unaryCall(t, port, '/direct.Service/Call');
  t.equal(denied?.code, grpc.status.PERMISSION_DENIED);
  t.equal(denied?.details, 'no way, 100%\n', 'the grpc-message, percent-decoded by the client');
  const unrouted = await unaryCall(t, port, '/other.Service/Call');
  t.equal(unrouted?.code, grpc.status.UNIMPLEMENTED);
});

t.test('the reply on the wire: trailers-only 200, grpc-message percent-encoded; plain requests keep the HTTP reply', async (t) => {
  const running = await proxy(t);
  const session = await http2Session(t, running.port('http'));
  const direct = await http2Request(session, { ':method': 'POST', ':path': '/direct', 'content-type': 'application/grpc+proto' });
  t.equal(direct.headers[':status'], 200);
  t.equal(direct.headers['content-type'], 'application/grpc');
  t.equal(direct.headers['grpc-status'], '7');
  t.equal(direct.headers['grpc-message'], 'no way, 100%25%0A');
  t.equal(direct.body, '', 'no body: trailers-only');
  const plain = await httpRequest(running.port('http'), { path: '/down/x' });
  t.equal(plain.status, 503);
  t.match(plain.body, /^upstream connect error/);
  t.equal(running.stat('http.ingress.downstream_rq_2xx'), 1, 'the gRPC reply is a 2xx, as Envoy counts it');
});
