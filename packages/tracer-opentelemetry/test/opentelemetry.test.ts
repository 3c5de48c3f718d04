// envoy.tracers.opentelemetry with real collectors (OTLP/HTTP and OTLP/gRPC) and upstreams: the
// spans Envoy 1.40 exports (checked against it: names, kinds, parents, attributes, resource),
// W3C traceparent/tracestate propagation, sampling by the propagated flag, the upstream span,
// and one trace across the seed's HTTP use case (a GET encapsulated in HTTP/2 CONNECT, then
// decapsulated), with a span for each connection manager the GET crosses.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { ADMIN, anyHostRoutes, HTTP2_UPSTREAM, cluster, configProblems, httpConnectionManager, httpRequest, startHttpUpstream, startInProcess, tcpListener, waitFor, type TestLike } from '@nodevoy/test-kit';
import { grpcCollector, httpCollector, type ExportedSpan } from './otlp-collector.js';

const FLUSH_EACH_SPAN = `layered_runtime:
  layers:
  - name: static
    static_layer: { tracing: { opentelemetry: { min_flush_spans: 1 } } }
`;

const HTTP_EXPORT = `                http_service:
                  http_uri: { uri: "http://collector.example:4318/v1/traces", cluster: otlp, timeout: 1s }
                  request_headers_to_add: [{ header: { key: x-api-key, value: k1 } }]
                service_name: edge-proxy
`;

const tracing = (exporter: string, extra = '') => `          tracing:
${extra}            provider:
              name: envoy.tracers.opentelemetry
              typed_config:
                "@type": type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig
${exporter}`;

async function setup(t: TestLike, options: { exporter?: string; extra?: string; listenerExtra?: string; collectorCluster?: (port: number) => string } = {}) {
  const collector = await httpCollector(t);
  const app = await startHttpUpstream(t);
  const routes = anyHostRoutes('              - { match: { prefix: / }, route: { cluster: app } }\n');
  const proxy = await startInProcess(
    t,
    `${FLUSH_EACH_SPAN}${ADMIN}static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: routes, extra: tracing(options.exporter ?? HTTP_EXPORT, options.extra) }), options.listenerExtra)}  clusters:
${cluster('app', [{ port: app.port }])}${(options.collectorCluster ?? ((port) => cluster('otlp', [{ port }])))(collector.upstream.port)}`,
  );
  return { collector, app, proxy, get: (headers: Record<string, string> = {}) => httpRequest(proxy.port('http'), { headers }) };
}

const spansWhen = (spans: () => ExportedSpan[], count: number) => waitFor(() => (spans().length >= count ? spans() : undefined));

t.test('a new trace over OTLP/HTTP: the ingress span, its attributes and resource; traceparent upstream', async (t) => {
  const { collector, app, proxy, get } = await setup(t);
  const response = await get({ 'user-agent': 'tester/1' });
  const [span] = await spansWhen(collector.spans, 1);
  const request = collector.upstream.requests[0];
  t.equal(request?.url, '/v1/traces');
  t.equal(request?.headers['content-type'], 'application/x-protobuf');
  t.equal(request?.headers['x-api-key'], 'k1', 'request_headers_to_add');
  t.equal(request?.headers.host, 'collector.example:4318');
  t.equal(span?.name, 'ingress');
  t.equal(span?.kind, 2, 'SERVER');
  t.equal(span?.parentSpanId, '', 'a root span');
  t.match(span?.traceId, /^[0-9a-f]{32}$/);
  t.equal(span?.resource['service.name'], 'edge-proxy');
  t.equal(span?.scope, 'envoy');
  t.ok((span?.endNanos ?? 0n) > (span?.startNanos ?? 0n));
  const seen = app.requests[0]?.headers ?? {};
  t.equal(seen.traceparent, `00-${span?.traceId}-${span?.spanId}-01`, 'the upstream request carries the span');
  t.equal(seen.tracestate, '', 'an empty tracestate, as Envoy sends it');
  t.same(span?.attributes, {
    node_id: '',
    zone: '',
    'guid:x-request-id': String(seen['x-request-id']),
    'http.url': `http://127.0.0.1:${proxy.port('http')}/`,
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
  t.equal(span?.statusCode, 0);
  await proxy.waitForStat('tracing.opentelemetry.http_reports_success', (n) => n === 1);
  t.equal(proxy.stat('tracing.opentelemetry.spans_sent'), 1);
  t.equal(proxy.stat('tracing.opentelemetry.http_reports_sent'), 1);
});

t.test('a propagated context: child of the caller, tracestate kept, the sampled flag decides; an egress listener', async (t) => {
  const { collector, app, proxy, get } = await setup(t, { listenerExtra: '    traffic_direction: OUTBOUND\n', extra: '            spawn_upstream_span: true\n' });
  await get({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=v1' });
  const spans = await spansWhen(collector.spans, 2);
  const server = spans.find((span) => span.kind === 2);
  const client = spans.find((span) => span.kind === 3);
  t.equal(server?.name, `egress 127.0.0.1:${proxy.port('http')}`);
  t.equal(server?.traceId, '0af7651916cd43dd8448eb211c80319c');
  t.equal(server?.parentSpanId, 'b7ad6b7169203331');
  t.equal(server?.traceState, 'vendor=v1');
  t.equal(client?.name, 'router app egress');
  t.equal(client?.parentSpanId, server?.spanId);
  t.match(client?.attributes, { 'http.protocol': 'HTTP/1.1', upstream_address: `127.0.0.1:${app.port}`, 'peer.address': `127.0.0.1:${app.port}`, 'http.status_code': '200' });
  t.equal(app.requests[0]?.headers.traceparent, `00-0af7651916cd43dd8448eb211c80319c-${client?.spanId}-01`);
  t.equal(app.requests[0]?.headers.tracestate, 'vendor=v1');
  // Not sampled upstream of us: propagated as such, never exported.
  await get({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
  t.match(app.requests[1]?.headers.traceparent, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
  // A malformed traceparent: not traced, passed on as it came (Envoy's NullSpan).
  await get({ traceparent: '00-xyz-b7ad6b7169203331-01' });
  t.equal(app.requests[2]?.headers.traceparent, '00-xyz-b7ad6b7169203331-01');
  t.equal(proxy.stat('tracing.opentelemetry.spans_sent'), 2);
});

t.test('OTLP/gRPC through the cluster (envoy_grpc), with initial metadata; an error status for a 5xx', async (t) => {
  const grpcPeer = await grpcCollector(t);
  const exporter = `                grpc_service:
                  envoy_grpc: { cluster_name: otlp }
                  initial_metadata: [{ key: x-tenant, value: acme }]
`;
  const http2Cluster = () => cluster('otlp', [{ port: grpcPeer.port }], HTTP2_UPSTREAM);
  const { app, get } = await setup(t, { exporter, collectorCluster: http2Cluster });
  app.server.removeAllListeners('request');
  app.server.on('request', (_request, response) => response.writeHead(503).end('down'));
  t.equal((await get()).status, 503);
  const [span] = await spansWhen(grpcPeer.spans, 1);
  t.equal(span?.attributes['http.status_code'], '503');
  t.equal(span?.attributes['error'], 'true');
  t.equal(span?.statusCode, 2, 'the error tag is the span\'s error status');
  t.equal(span?.resource['service.name'], 'unknown_service:envoy', "Envoy's default service name");
  t.same(grpcPeer.metadata[0]?.get('x-tenant'), ['acme']);
});

t.test('OTLP/gRPC with @grpc/grpc-js to a target (google_grpc)', async (t) => {
  const grpcPeer = await grpcCollector(t);
  const { get } = await setup(t, { exporter: `                grpc_service:\n                  google_grpc: { target_uri: "127.0.0.1:${grpcPeer.port}", stat_prefix: otlp }\n` });
  await get();
  const [span] = await spansWhen(grpcPeer.spans, 1);
  t.equal(span?.name, 'ingress');
  t.equal(span?.attributes['http.status_code'], '200');
});

t.test('the seed\'s HTTP use case traced: the GET is one trace across encapsulation and decapsulation', async (t) => {
  const collector = await httpCollector(t);
  const config = parse(readFileSync(new URL('../../cli/configs/default.yaml', import.meta.url), 'utf8')) as {
    admin: { address: { socket_address: { port_value: number } } };
    static_resources: { listeners: { name: string; address?: { socket_address: { port_value: number } }; filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[]; clusters: unknown[] };
  };
  config.admin.address.socket_address.port_value = 0;
  const provider = parse(tracing(HTTP_EXPORT).replace(/^ {10}/gm, '')) as { tracing: unknown };
  for (const listener of config.static_resources.listeners) {
    if (listener.address) listener.address.socket_address.port_value = 0;
    const hcm = listener.filter_chains[0]?.filters[0]?.typed_config;
    if (hcm?.['stat_prefix'] && String(hcm['@type']).endsWith('HttpConnectionManager')) hcm['tracing'] = provider.tracing;
  }
  config.static_resources.clusters.push(parse(cluster('otlp', [{ port: collector.upstream.port }]).replace(/^ {2}/gm, ''))[0]);
  const proxy = await startInProcess(t, `${FLUSH_EACH_SPAN}${stringify(config)}`);
  const response = await httpRequest(proxy.port('http'));
  t.match(response.body, /crossed an HTTP\/2 CONNECT tunnel/);
  // The edge's span and the decapsulating connection manager's; the CONNECT's ends with its tunnel.
  const spans = await spansWhen(collector.spans, 2);
  const edge = spans.find((span) => span.attributes['upstream_cluster'] === 'encap_cluster');
  const decap = spans.find((span) => span !== edge && span.attributes['http.method'] === 'GET');
  t.equal(edge?.attributes['http.url'], `http://127.0.0.1:${proxy.port('http')}/`);
  t.equal(decap?.traceId, edge?.traceId, 'the decapsulated GET is in the edge\'s trace');
  t.equal(decap?.parentSpanId, edge?.spanId, 'a child of the edge span: the context crossed the tunnel inside the request');
  t.ok(spans.every((span) => span.attributes['http.method'] === 'GET'), 'the CONNECT stream is not part of it: tcp_proxy propagates no context, as Envoy\'s');
});

t.test('config errors name the field', async (t) => {
  const yaml = (exporter: string) => `static_resources:
  listeners:
${tcpListener('http', httpConnectionManager({ routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200 } }\n'), extra: tracing(exporter) }))}`;
  t.match(configProblems(yaml(`                sampler: { name: x, typed_config: { "@type": type.googleapis.com/google.protobuf.Empty } }\n`)), /sampler.*samplers are not implemented by nodevoy yet/);
  t.match(configProblems(yaml(`                http_service: { http_uri: { uri: "http://c/v1/traces", cluster: otlp } }\n`)), /timeout/);
});
