// `common_http_protocol_options.max_connection_duration`, downstream (the connection manager) and
// upstream (a cluster): a connection that old is drained as Envoy drains it. Downstream, an idle
// one closes, a response in flight says `connection: close` and HTTP/2 gets GOAWAY; upstream, the
// pool stops giving the connection out and closes it once its exchange is done.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, collect, connectTo, http2Session, httpConnectionManager, httpRequest, readHttp1Responses, startHttpUpstream, startInProcess, tcpListener, waitFor } from '@nodevoy/test-kit';

const AGE = 'max_connection_duration: 0.2s';

function config(upstreamPort: number, where: 'downstream' | 'upstream'): string {
  const hcmExtra = where === 'downstream' ? `          common_http_protocol_options: { ${AGE} }\n` : '';
  const clusterExtra =
    where === 'upstream'
      ? `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: { ${AGE} }
        explicit_http_config: { http_protocol_options: {} }
`
      : '';
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ extra: hcmExtra, routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: backend } }\n') }))}  clusters:
${cluster('backend', [{ port: upstreamPort }], clusterExtra)}`;
}

t.test('downstream: an idle connection closes; a response in flight says connection: close first', async (t) => {
  const held: ServerResponse[] = [];
  const upstream = await startHttpUpstream(t, (request, response) => {
    if (request.url === '/held') held.push(response);
    else response.end('quick');
  });
  const proxy = await startInProcess(t, config(upstream.port, 'downstream'));
  const port = proxy.port('http');

  const idle = await connectTo(t, port);
  const idleEnd = collect(idle);
  const busy = await connectTo(t, port);
  const busyResponses = readHttp1Responses(busy, 1);
  busy.write('GET /held HTTP/1.1\r\nhost: api.test\r\n\r\n');

  t.equal((await idleEnd).end, 'fin', 'the idle connection is closed by the proxy');
  await proxy.waitForStat('http.ingress.downstream_cx_max_duration_reached', (n) => n === 2);
  const waiting = await waitFor(() => held[0]);
  t.notOk(busy.readableEnded, 'the busy connection is still open, waiting for its response');
  waiting.end('late');
  const [response] = await busyResponses;
  t.equal(response?.body, 'late', 'the request in flight is answered');
  t.match(response?.head, /\r\nconnection: close/, 'and the answer says the connection ends');
  if (!busy.readableEnded) await once(busy, 'end');
  t.pass('then the proxy closes it');
});

t.test('downstream HTTP/2: GOAWAY, and the stream in flight still completes', async (t) => {
  const held: ServerResponse[] = [];
  const upstream = await startHttpUpstream(t, (_request, response) => held.push(response));
  const proxy = await startInProcess(t, config(upstream.port, 'downstream'));
  const session = await http2Session(t, proxy.port('http'));
  const goaway = once(session, 'goaway');
  const stream = session.request({ ':method': 'GET', ':path': '/held', ':authority': 'api.test' });
  stream.end();
  const body: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => body.push(chunk));
  await goaway;
  await proxy.waitForStat('http.ingress.downstream_cx_max_duration_reached', (n) => n === 1);
  const response = await waitFor(() => held[0]);
  response.end('finished after GOAWAY');
  await once(stream, 'end');
  t.equal(Buffer.concat(body).toString(), 'finished after GOAWAY');
});

t.test('upstream: an old connection is not given out again and closes once its exchange is done', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, config(upstream.port, 'upstream'));
  const first = await httpRequest(proxy.port('http'), { path: '/one' });
  t.equal(first.status, 200);
  await proxy.waitForStat('cluster.backend.upstream_cx_max_duration_reached', (n) => n === 1);
  await proxy.waitForStat('cluster.backend.upstream_cx_destroy_local', (n) => n === 1);
  const second = await httpRequest(proxy.port('http'), { path: '/two' });
  t.equal(second.status, 200);
  t.equal(proxy.stat('cluster.backend.upstream_cx_total'), 2, 'the second request had a new connection');
});
