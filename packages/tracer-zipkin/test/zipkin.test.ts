// envoy.tracers.zipkin with real collectors and upstreams: the spans Envoy 1.40 reports (checked
// against it: names, kinds, B3 propagation, shared span contexts, the connection manager's tags,
// custom tags, the upstream span with spawn_upstream_span), sampling decisions carried in
// x-request-id, and the reports' stats.
import { join } from 'node:path';
import t from 'tap';
import { ADMIN, anyHostRoutes, cluster, configProblems, httpConnectionManager, httpRequest, scratchDir, startHttpUpstream, startInProcess, tcpListener, waitFor, waitForLines, type HttpUpstream, type TestLike } from '@nodevoy/test-kit';

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind: string;
  shared?: boolean;
  timestamp: number;
  duration: number;
  annotations: { value: string }[];
  tags: Record<string, string>;
}

/** Every span a collector received, in the order the reports came. */
const spansOf = (collector: HttpUpstream): ZipkinSpan[] => collector.requests.flatMap((request) => JSON.parse(request.body) as ZipkinSpan[]);

const zipkin = (extra = '') => `          tracing:
${extra}            provider:
              name: envoy.tracers.zipkin
              typed_config:
                "@type": type.googleapis.com/envoy.config.trace.v3.ZipkinConfig
                collector_cluster: zipkin
                collector_endpoint: /api/v2/spans
                collector_endpoint_version: HTTP_JSON
`;

/** Reports go at once, one span each: the tests wait on spans, not on the flush timer. */
const FLUSH_EACH_SPAN = `layered_runtime:
  layers:
  - name: static
    static_layer: { tracing: { zipkin: { min_flush_spans: 1 } } }
`;

async function setup(t: TestLike, tracing: string, routes = '              - { match: { prefix: / }, route: { cluster: app } }\n', bootstrapExtra = '') {
  const collector = await startHttpUpstream(t, (_request, response) => response.writeHead(202).end());
  const app = await startHttpUpstream(t);
  const proxy = await startInProcess(
    t,
    `${FLUSH_EACH_SPAN}${bootstrapExtra}${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes(routes), extra: tracing }))}  clusters:
${cluster('app', [{ port: app.port }])}${cluster('zipkin', [{ port: collector.port }])}`,
  );
  return { collector, app, proxy, get: (headers: Record<string, string> = {}, path = '/') => httpRequest(proxy.port('http'), { path, headers }) };
}

t.test('a new trace: the server span named by the host, B3 headers upstream, Envoy\'s tags', async (t) => {
  const { collector, app, proxy, get } = await setup(t, zipkin());
  const response = await get({ 'user-agent': 'tester/1' }, '/hello?x=1');
  t.equal(response.status, 200);
  const [span] = await waitFor(() => (spansOf(collector).length === 1 ? spansOf(collector) : undefined));
  const seen = app.requests[0]?.headers ?? {};
  t.equal(span?.name, `127.0.0.1:${proxy.port('http')}`);
  t.equal(span?.kind, 'SERVER');
  t.equal(span?.shared, true, 'the server side of a shared span');
  t.match(span?.traceId, /^[0-9a-f]{16}$/, '64-bit trace ids by default');
  t.equal(span?.id, span?.traceId, 'a root span: its id is the trace id');
  t.equal(seen['x-b3-traceid'], span?.traceId);
  t.equal(seen['x-b3-spanid'], span?.id);
  t.equal(seen['x-b3-sampled'], '1');
  t.notOk(seen['x-b3-parentspanid']);
  t.same(span?.annotations.map((a) => a.value), ['ss']);
  t.ok((span?.duration ?? 0) > 0 && (span?.timestamp ?? 0) > 1e15, 'microsecond timestamps');
  const requestId = String(seen['x-request-id']);
  t.equal(requestId[14], '9', 'x-request-id carries the decision: sampled');
  t.same(span?.tags, {
    'guid:x-request-id': requestId,
    'http.url': `http://127.0.0.1:${proxy.port('http')}/hello?x=1`,
    'http.method': 'GET',
    downstream_cluster: '-',
    user_agent: 'tester/1',
    'http.protocol': 'HTTP/1.1',
    'peer.address': '127.0.0.1',
    request_size: '0',
    response_size: String(Buffer.byteLength(response.body)),
    component: 'proxy',
    upstream_cluster: 'app',
    'upstream_cluster.name': 'app',
    'http.status_code': '200',
    response_flags: '-',
  });
  t.equal(proxy.stat('tracing.zipkin.spans_sent'), 1);
  await proxy.waitForStat('tracing.zipkin.reports_sent', (sent) => sent === 1);
  t.equal(collector.requests[0]?.headers['content-type'], 'application/json');
  t.equal(collector.requests[0]?.url, '/api/v2/spans');
});

t.test('a propagated B3 context: the server span shares the caller\'s span; the upstream span is its child', async (t) => {
  const { collector, app, get } = await setup(
    t,
    zipkin(`            spawn_upstream_span: true
            custom_tags:
            - { tag: team, literal: { value: edge } }
            - { tag: tenant, request_header: { name: x-tenant, default_value: none } }
`),
  );
  await get({ 'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124', 'x-b3-spanid': 'a2fb4a1d1a96d312', 'x-b3-parentspanid': '0020000000000001', 'x-b3-sampled': '1', 'x-tenant': 'acme' });
  const spans = await waitFor(() => (spansOf(collector).length === 2 ? spansOf(collector) : undefined));
  const server = spans.find((span) => span.kind === 'SERVER');
  const client = spans.find((span) => span.kind === 'CLIENT');
  t.equal(server?.id, 'a2fb4a1d1a96d312', 'shared_span_context: the caller\'s span id');
  t.equal(server?.parentId, '0020000000000001');
  t.equal(server?.traceId, '463ac35c9f6413ad48485a3953bb6124', '128-bit trace ids pass through');
  t.equal(client?.name, 'router app egress');
  t.equal(client?.parentId, server?.id);
  t.equal(client?.traceId, server?.traceId);
  t.same(client?.annotations.map((a) => a.value), ['cr']);
  const seen = app.requests[0]?.headers ?? {};
  t.equal(seen['x-b3-spanid'], client?.id, 'the upstream request carries the upstream span');
  t.equal(seen['x-b3-parentspanid'], server?.id);
  t.match(client?.tags, { 'http.protocol': 'HTTP/1.1', upstream_address: `127.0.0.1:${app.port}`, 'http.status_code': '200', team: 'edge', tenant: 'acme' });
  t.match(server?.tags, { team: 'edge', tenant: 'acme' });
});

t.test('decisions: x-b3-sampled 0 and random_sampling 0 report nothing but still propagate; x-client-trace-id forces', async (t) => {
  const log = join(scratchDir(t), 'traced.log');
  const traceableLog = `          access_log:
          - name: envoy.access_loggers.file
            filter: { traceable_filter: {} }
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${log}
              log_format: { text_format_source: { inline_string: "%REQ(X-CLIENT-TRACE-ID)%\\n" } }
`;
  const { collector, app, get } = await setup(t, `${traceableLog}${zipkin('            random_sampling: { value: 0 }\n')}`);
  await get({ 'x-b3-traceid': '463ac35c9f6413ad', 'x-b3-spanid': 'a2fb4a1d1a96d312', 'x-b3-sampled': '0' });
  await get();
  t.equal(app.requests[0]?.headers['x-b3-sampled'], '0');
  t.equal(app.requests[1]?.headers['x-b3-sampled'], '0', 'random sampling at 0%: not traced');
  t.equal(String(app.requests[1]?.headers['x-request-id'])[14], '4', 'x-request-id says: not traced');
  await get({ 'x-client-trace-id': 'client-1' });
  const [span] = await waitFor(() => (spansOf(collector).length > 0 ? spansOf(collector) : undefined));
  t.equal(span?.tags['guid:x-client-trace-id'], 'client-1');
  t.equal(String(app.requests[2]?.headers['x-request-id'])[14], 'b', 'x-request-id says: traced for the client');
  t.equal(spansOf(collector).length, 1, 'only the client-forced request was reported');
  t.same(await waitForLines(log, 1), ['client-1'], "access logs' traceable_filter keeps the traced request only");
});

t.test('the single b3 header: its ids and flag are the context', async (t) => {
  const { collector, app, get } = await setup(t, zipkin());
  await get({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90' });
  const [span] = await waitFor(() => (spansOf(collector).length === 1 ? spansOf(collector) : undefined));
  t.equal(span?.traceId, '80f198ee56343ba864fe8b2a57d3eff7');
  t.equal(span?.id, 'e457b5a2e4d86bd1');
  t.equal(span?.parentId, '05e3ac9a4f6e3b90');
  t.equal(app.requests[0]?.headers['x-b3-spanid'], 'e457b5a2e4d86bd1');
});

t.test("the router's start_child_span spawns the upstream span when the connection manager does not say", async (t) => {
  const collector = await startHttpUpstream(t, (_request, response) => response.writeHead(202).end());
  const app = await startHttpUpstream(t);
  const chain = httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, route: { cluster: app } }\n'), extra: zipkin() }).replace(
    'typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }',
    'typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router, start_child_span: true }',
  );
  const proxy = await startInProcess(t, `${FLUSH_EACH_SPAN}${ADMIN}static_resources:\n  listeners:\n${tcpListener('http', chain)}  clusters:\n${cluster('app', [{ port: app.port }])}${cluster('zipkin', [{ port: collector.port }])}`);
  await httpRequest(proxy.port('http'));
  const spans = await waitFor(() => (spansOf(collector).length === 2 ? spansOf(collector) : undefined));
  t.same(spans.map((span) => span.kind).sort(), ['CLIENT', 'SERVER']);
});

t.test('an invalid B3 context: the request is not traced and nothing is propagated, as Envoy', async (t) => {
  const { collector, app, get, proxy } = await setup(t, zipkin());
  await get({ 'x-b3-traceid': 'not-hex', 'x-b3-spanid': 'a2fb4a1d1a96d312' });
  t.equal(app.requests[0]?.headers['x-b3-spanid'], 'a2fb4a1d1a96d312', 'the headers as they came');
  t.equal(app.requests[0]?.headers['x-b3-sampled'], undefined);
  await get();
  await waitFor(() => (spansOf(collector).length === 1 ? true : undefined));
  t.equal(proxy.stat('tracing.zipkin.spans_sent'), 1, 'only the second request was traced');
});

t.test('a route decorator names the span; an error status is tagged', async (t) => {
  const routes = `              - { match: { prefix: /fail }, direct_response: { status: 503 }, decorator: { operation: failing-op } }
              - { match: { prefix: / }, route: { cluster: app }, decorator: { operation: checkout } }
`;
  const { collector, app, get } = await setup(t, zipkin(), routes);
  await get({}, '/buy');
  await get({}, '/fail');
  const spans = await waitFor(() => (spansOf(collector).length === 2 ? spansOf(collector) : undefined));
  t.same(spans.map((span) => span.name).sort(), ['checkout', 'failing-op']);
  t.equal(app.requests[0]?.headers['x-envoy-decorator-operation'], 'checkout', 'ingress tells the next hop its operation');
  const failed = spans.find((span) => span.name === 'failing-op');
  t.equal(failed?.tags['error'], 'true');
  t.equal(failed?.tags['http.status_code'], '503');
});

t.test("the bootstrap's tracing.http serves a connection manager whose tracing names no provider", async (t) => {
  const bootstrapTracing = `tracing:
  http:
    name: envoy.tracers.zipkin
    typed_config:
      "@type": type.googleapis.com/envoy.config.trace.v3.ZipkinConfig
      collector_cluster: zipkin
      collector_endpoint: /api/v2/spans
      trace_id_128bit: true
`;
  const { collector, app, get } = await setup(t, '          tracing: {}\n', undefined, bootstrapTracing);
  await get();
  const [span] = await waitFor(() => (spansOf(collector).length === 1 ? spansOf(collector) : undefined));
  t.match(span?.traceId, /^[0-9a-f]{32}$/, 'trace_id_128bit');
  t.equal(span?.traceId.slice(16), span?.id, 'the low half of a root trace id is its span id');
  t.equal(app.requests[0]?.headers['x-b3-traceid'], span?.traceId);
});

t.test('config errors name the field', async (t) => {
  const base = (typedConfig: string) => `static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200 } }\n'), extra: `          tracing:
            provider:
              name: envoy.tracers.zipkin
              typed_config:
                "@type": type.googleapis.com/envoy.config.trace.v3.ZipkinConfig
${typedConfig}` }))}`;
  t.match(configProblems(base('                collector_endpoint: /api/v2/spans\n')), /collector_cluster.*required|required.*collector_cluster/);
  t.match(configProblems(base('                collector_cluster: nowhere\n                collector_endpoint: /api/v2/spans\n')), /envoy\.tracers\.zipkin: unknown cluster 'nowhere'/);
  t.match(configProblems(base('                collector_cluster: nowhere\n                collector_endpoint: /x\n                collector_endpoint_version: GRPC\n')), /collector_endpoint_version.*HTTP_JSON only/);
});
