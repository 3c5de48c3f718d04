import { NULL_SPAN, randomTraceId, SpanBatcher, type ServerContext, type Span, type SpanStartOptions, type Tracer, type WorkerContext } from '@nodevoy/core';
import type { OpenTelemetryConfig } from './config.js';
import { OtelSpan, type FinishedSpan } from './otel-span.js';
import { DEFAULT_SERVICE_NAME, OtlpSpanSerializer } from './otlp-spans.js';
import { grpcTransport, httpTransport, type OtlpTransport } from './otlp-transport.js';
import { extractW3c } from './trace-context.js';

/**
 * `envoy.tracers.opentelemetry` (Envoy's OpenTelemetry driver): the downstream span named by the
 * operation (`ingress`, `egress <host>`), a child of the request's `traceparent` (its sampled
 * flag wins over the connection manager's decision) or the root of a new trace; sampled spans
 * exported as OTLP in batches (runtime `tracing.opentelemetry.min_flush_spans`,
 * `tracing.opentelemetry.flush_interval_ms`), over gRPC or HTTP.
 */
export class OpenTelemetryTracer implements Tracer {
  private readonly batcher: SpanBatcher<FinishedSpan>;
  private readonly serializer: OtlpSpanSerializer;
  private readonly transport: OtlpTransport | undefined;
  private readonly stats;
  private worker: WorkerContext | undefined;

  constructor(config: OpenTelemetryConfig, private readonly server: ServerContext) {
    this.serializer = new OtlpSpanSerializer(config.service_name || DEFAULT_SERVICE_NAME);
    this.transport = config.grpc_service ? grpcTransport(config.grpc_service, server) : config.http_service ? httpTransport(config.http_service, server) : undefined;
    const scope = server.stats.scope('tracing.opentelemetry');
    this.stats = {
      spans_sent: scope.counter('spans_sent'),
      timer_flushed: scope.counter('timer_flushed'),
      http_reports_sent: scope.counter('http_reports_sent'),
      http_reports_success: scope.counter('http_reports_success'),
      http_reports_failed: scope.counter('http_reports_failed'),
    };
    const isHttp = config.http_service !== undefined;
    this.batcher = new SpanBatcher(server, {
      runtimePrefix: 'tracing.opentelemetry',
      send: (spans) => this.export(spans, isHttp),
      onTimerFlush: () => this.stats.timer_flushed.inc(),
    });
  }

  startSpan(options: SpanStartOptions): Span {
    this.worker ??= options.worker;
    const parent = extractW3c(options.headers);
    if (parent === 'invalid') return NULL_SPAN;
    const report = (span: FinishedSpan) => this.batcher.add(span);
    const base = { spanId: randomTraceId(8), name: options.name, kind: 'server' as const, startTimeMs: options.startTimeMs };
    if (parent) return new OtelSpan(report, { ...base, traceId: parent.traceId, parentSpanId: parent.parentId, traceState: parent.traceState, sampled: parent.sampled });
    return new OtelSpan(report, { ...base, traceId: randomTraceId(16), parentSpanId: undefined, traceState: '', sampled: options.traced });
  }

  private export(spans: FinishedSpan[], isHttp: boolean): void {
    const { stats, transport, worker } = this;
    stats.spans_sent.inc(spans.length);
    if (!transport || !worker) return;
    if (isHttp) stats.http_reports_sent.inc();
    const body = this.serializer.serialize(spans);
    void transport(body, worker).then((ok) => {
      if (!isHttp) return;
      if (ok) stats.http_reports_success.inc();
      else stats.http_reports_failed.inc();
    }, (err: unknown) => {
      this.server.log.warn(`OpenTelemetry export failed: ${err instanceof Error ? err.message : String(err)}`);
      if (isHttp) stats.http_reports_failed.inc();
    });
  }
}
