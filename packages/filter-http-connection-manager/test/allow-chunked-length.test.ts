// `http_protocol_options.allow_chunked_length`: a message with both Content-Length and chunked
// framing is refused by default (the smuggling case); allowed, it is read as chunked and its
// length removed, requests and responses alike, as Envoy 1.40 does (checked on the wire).
import type { Socket } from 'node:net';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, connectTo, httpConnectionManager, readHttp1Responses, startInProcess, startTcpServer, tcpListener } from '@nodevoy/test-kit';

const BOTH = 'POST /x HTTP/1.1\r\nhost: api.test\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';

function config(upstreamPort: number, allow: boolean): string {
  const option = allow ? '          http_protocol_options: { allow_chunked_length: true }\n' : '';
  const clusterOption = allow
    ? `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http_protocol_options: { allow_chunked_length: true } }
`
    : '';
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ extra: option, routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n') }))}  clusters:
${cluster('backend', [{ port: upstreamPort }], clusterOption)}`;
}

/** An upstream that takes one chunked request and answers with a length and chunks both. */
async function upstream(t: Parameters<typeof startTcpServer>[0]) {
  let received = '';
  const server = await startTcpServer(t, (socket: Socket) => {
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1');
      if (received.endsWith('0\r\n\r\n')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    });
  });
  return { port: server.port, received: () => received };
}

t.test('by default a request with both a length and chunks is refused', async (t) => {
  const up = await upstream(t);
  const proxy = await startInProcess(t, config(up.port, false));
  const client = await connectTo(t, proxy.port('http'));
  const responses = readHttp1Responses(client, 1);
  client.write(BOTH);
  const [response] = await responses;
  t.match(response?.head, /^HTTP\/1\.1 400 /);
  t.equal(up.received(), '', 'nothing reached the upstream');
});

t.test('allowed, both ways: read as chunked, the length removed', async (t) => {
  const up = await upstream(t);
  const proxy = await startInProcess(t, config(up.port, true));
  const client = await connectTo(t, proxy.port('http'));
  let response = '';
  const chunkedEnd = new Promise<void>((resolve) =>
    client.on('data', (data: Buffer) => {
      response += data.toString('latin1');
      if (response.endsWith('\r\n0\r\n\r\n')) resolve();
    }),
  );
  client.write(BOTH);
  await chunkedEnd;
  const [head, body] = response.split('\r\n\r\n');
  t.match(head, /^HTTP\/1\.1 200 /);
  t.notMatch(head, /content-length/i, 'the response\u2019s length is gone too');
  t.match(head, /transfer-encoding: chunked/);
  t.equal(body, '2\r\nok\r\n0');
  t.match(up.received(), /^POST \/x HTTP\/1\.1\r\n/);
  t.notMatch(up.received(), /content-length/i, 'the upstream sees no length');
  t.match(up.received(), /transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n$/, 'and the body in chunks');
});
