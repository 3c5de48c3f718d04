// envoy.filters.http.buffer through an in-process nodevoy with real clients and an upstream that
// records what it received and when: the request reaches the upstream only once its body is
// whole, with a Content-Length when it came chunked; past max_request_bytes the client gets 413
// and the upstream nothing; routes may turn buffering off or set their own limit.
import { once } from 'node:events';
import { request } from 'node:http';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, configProblems, httpConnectionManager, httpFilterCompliance, httpRequest, startHttpUpstream, startInProcess, tcpListener, type TestLike } from '@nodevoy/test-kit';

const BUFFER = 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute';

function config(upstreamPort: number, maxRequestBytes: number): string {
  const filter = `          - name: envoy.filters.http.buffer\n            typed_config: { "@type": ${BUFFER}, max_request_bytes: ${maxRequestBytes} }\n`;
  const routes = `              - match: { prefix: /stream }\n                route: { cluster: upstream }\n                typed_per_filter_config: { envoy.filters.http.buffer: { "@type": ${PER_ROUTE}, disabled: true } }
              - match: { prefix: /big }\n                route: { cluster: upstream }\n                typed_per_filter_config: { envoy.filters.http.buffer: { "@type": ${PER_ROUTE}, buffer: { max_request_bytes: 100000 } } }
              - { match: { prefix: / }, route: { cluster: upstream } }\n`;
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ httpFilters: filter, routeConfig: anyHostRoutes(routes) }))}  clusters:
${cluster('upstream', [{ port: upstreamPort }])}`;
}

async function setup(t: TestLike, maxRequestBytes = 1000) {
  const upstream = await startHttpUpstream(t, (seen, res) => res.end(`got ${seen.bodyBytes.length}`));
  const proxy = await startInProcess(t, config(upstream.port, maxRequestBytes));
  return { upstream, proxy, port: proxy.port('http') };
}

/** A chunked upload whose second half is sent only when `release` resolves. */
function chunkedUpload(port: number, path: string, release: Promise<void>) {
  const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent: false });
  req.write('first half, ');
  void release.then(() => req.end('second half'));
  return once(req, 'response').then(async ([res]) => {
    const chunks: Buffer[] = [];
    for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
    return { status: (res as { statusCode: number }).statusCode, body: Buffer.concat(chunks).toString() };
  });
}

t.test('a chunked body goes upstream whole, with a Content-Length instead of chunks', async (t) => {
  const { upstream, port } = await setup(t);
  const response = await chunkedUpload(port, '/', Promise.resolve());
  t.equal(response.body, 'got 23');
  t.equal(upstream.requests[0]?.headers['content-length'], '23');
  t.equal(upstream.requests[0]?.headers['transfer-encoding'], undefined);
  t.equal(upstream.requests[0]?.body, 'first half, second half');
});

t.test('past max_request_bytes: 413 Payload Too Large, nothing upstream, counted', async (t) => {
  const { upstream, proxy, port } = await setup(t, 100);
  const response = await httpRequest(port, { method: 'POST', body: 'x'.repeat(101) });
  t.equal(response.status, 413);
  t.equal(response.body, 'Payload Too Large');
  t.equal(upstream.requests.length, 0);
  t.equal(proxy.stat('http.ingress.downstream_rq_too_large'), 1);
  t.equal((await httpRequest(port, { method: 'POST', body: 'x'.repeat(100) })).body, 'got 100', 'at the limit it goes through');
});

t.test('per route: buffering off streams the body (the upstream has the headers before the body ends); a route may allow more', async (t) => {
  let headersArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (headersArrived = resolve));
  const upstream = await startHttpUpstream(t, (seen, res) => res.end(`got ${seen.bodyBytes.length}`));
  upstream.server.prependListener('request', () => headersArrived());
  const proxy = await startInProcess(t, config(upstream.port, 10));
  const port = proxy.port('http');
  const streamed = await chunkedUpload(port, '/stream', arrived);
  t.equal(streamed.body, 'got 23');
  t.equal(upstream.requests[0]?.headers['transfer-encoding'], 'chunked', 'streamed as it came');
  t.equal((await httpRequest(port, { path: '/big', method: 'POST', body: 'y'.repeat(5000) })).body, 'got 5000');
});

t.test('config errors name the field', async (t) => {
  t.match(configProblems(config(1, 0)), /max_request_bytes: value must be greater than 0/);
});

t.test('compliance', async (t) => {
  httpFilterCompliance(t, {
    name: 'envoy.filters.http.buffer',
    typedConfig: { '@type': BUFFER, max_request_bytes: 16 * 1024 * 1024 },
    badConfigs: [{ typedConfig: { '@type': BUFFER }, error: /missing required field 'max_request_bytes'/ }],
  });
});
