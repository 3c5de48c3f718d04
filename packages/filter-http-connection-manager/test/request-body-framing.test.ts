// A request body reaches an HTTP/1.1 upstream framed, whatever the method: without a length it is
// chunked, as Envoy's codec sends it. Sent unframed, a GET's body would be read by the upstream as
// the next request on the pooled connection (request smuggling).
import t from 'tap';
import { connectTo, http2Request, http2Session, httpProxyBootstrap, readHttp1Responses, startHttpUpstream, startInProcess } from '@nodevoy/test-kit';

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nhost: example.test\r\n\r\n';

t.test('bodies of GET and DELETE go upstream chunked, never as a request of their own', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: upstream.port }]));
  const port = proxy.port('http');

  t.test('HTTP/1.1 downstream, chunked GET then a pipelined request', async (t) => {
    const client = await connectTo(t, port);
    const responses = readHttp1Responses(client, 2);
    const chunk = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n`;
    client.write(`GET /with-body HTTP/1.1\r\nhost: example.test\r\ntransfer-encoding: chunked\r\n\r\n${chunk}0\r\n\r\n`);
    client.write('DELETE /next HTTP/1.1\r\nhost: example.test\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    t.same(
      (await responses).map((r) => r.body),
      [`upstream GET /with-body ${SMUGGLED}`, 'upstream DELETE /next abc'],
    );
    t.same(
      upstream.requests.map((r) => [r.method, r.url, r.headers['transfer-encoding'], r.body]),
      [
        ['GET', '/with-body', 'chunked', SMUGGLED],
        ['DELETE', '/next', 'chunked', 'abc'],
      ],
      'the upstream saw two requests with their bodies, and no /smuggled',
    );
  });

  t.test('HTTP/2 downstream: a GET with a body and no content-length', async (t) => {
    const seen = upstream.requests.length;
    const session = await http2Session(t, port);
    const response = await http2Request(session, { ':method': 'GET', ':path': '/h2-body' }, SMUGGLED);
    t.equal(response.body, `upstream GET /h2-body ${SMUGGLED}`);
    t.same(
      upstream.requests.slice(seen).map((r) => [r.method, r.url, r.headers['transfer-encoding'], r.body]),
      [['GET', '/h2-body', 'chunked', SMUGGLED]],
    );
  });
});
