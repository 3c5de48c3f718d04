import { networkInterfaces } from 'node:os';
import { NULL_SPAN, randomTraceId, SpanBatcher, type ServerContext, type Span, type SpanStartOptions, type Tracer, type WorkerContext } from '@nodevoy/core';
import { HeaderMap, sendAsyncRequest } from '@nodevoy/http';
import { extractB3 } from './b3-context.js';
import type { ZipkinConfig } from './config.js';
import { ZipkinSpan, type ZipkinSpanJson, type ZipkinSpanSink } from './zipkin-span.js';

/** Envoy's timeout for a report when the runtime says nothing (`tracing.zipkin.request_timeout`). */
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** The first external IPv4 address of this machine, as Envoy's local info names it; loopback without one. */
function localIpv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (external) return external.address;
  }
  return '127.0.0.1';
}

/**
 * `envoy.tracers.zipkin` (Envoy's Zipkin driver): spans named by the request's host, B3
 * propagation (ids, parent, sampled), the downstream span sharing the caller's span id unless
 * `shared_span_context` is false; sampled spans posted as Zipkin v2 JSON to
 * `collector_endpoint` through `collector_cluster`, in batches (runtime
 * `tracing.zipkin.min_flush_spans`, `tracing.zipkin.flush_interval_ms`).
 */
export class ZipkinTracer implements Tracer, ZipkinSpanSink {
  readonly localEndpoint: ZipkinSpanJson['localEndpoint'];
  private readonly batcher: SpanBatcher<ZipkinSpanJson>;
  private readonly stats;
  private worker: WorkerContext | undefined;

  constructor(
    private readonly config: ZipkinConfig,
    private readonly server: ServerContext,
  ) {
    const serviceName = server.bootstrap.node?.cluster;
    this.localEndpoint = { ...(serviceName ? { serviceName } : {}), ipv4: localIpv4(), port: 0 };
    const scope = server.stats.scope('tracing.zipkin');
    this.stats = {
      spans_sent: scope.counter('spans_sent'),
      timer_flushed: scope.counter('timer_flushed'),
      reports_sent: scope.counter('reports_sent'),
      reports_dropped: scope.counter('reports_dropped'),
      reports_failed: scope.counter('reports_failed'),
      reports_skipped_no_cluster: scope.counter('reports_skipped_no_cluster'),
    };
    this.batcher = new SpanBatcher(server, {
      runtimePrefix: 'tracing.zipkin',
      send: (spans) => this.send(spans),
      onTimerFlush: () => this.stats.timer_flushed.inc(),
    });
  }

  startSpan(options: SpanStartOptions): Span {
    this.worker ??= options.worker;
    const context = extractB3(options.headers);
    if (context === 'invalid') return NULL_SPAN;
    const name = options.headers.get(':authority') ?? '';
    const sampled = context?.sampled ?? options.traced;
    const base = { name, kind: 'SERVER' as const, sampled, startTimeMs: options.startTimeMs };
    if (context && context.traceId !== '') {
      const shared = this.config.shared_span_context ?? true;
      return new ZipkinSpan(this, {
        ...base,
        traceId: context.traceId,
        id: shared ? context.spanId : randomTraceId(8),
        parentId: shared ? context.parentId : context.spanId,
        shared,
      });
    }
    const id = randomTraceId(8);
    return new ZipkinSpan(this, { ...base, traceId: this.config.trace_id_128bit ? `${randomTraceId(8)}${id}` : id, id, parentId: undefined, shared: true });
  }

  report(span: ZipkinSpanJson): void {
    this.batcher.add(span);
  }

  private send(spans: ZipkinSpanJson[]): void {
    const { stats, worker } = this;
    stats.spans_sent.inc(spans.length);
    const cluster = this.config.collector_cluster;
    if (!worker || !this.server.clusterManager.hasCluster(cluster)) {
      stats.reports_skipped_no_cluster.inc();
      return;
    }
    const request = sendAsyncRequest(this.server, worker, undefined, {
      cluster,
      method: 'POST',
      path: this.config.collector_endpoint,
      authority: this.config.collector_hostname || cluster,
      headers: HeaderMap.from([['content-type', 'application/json']]),
      body: Buffer.from(JSON.stringify(spans)),
      timeoutMs: this.server.runtime.getInteger('tracing.zipkin.request_timeout', DEFAULT_REQUEST_TIMEOUT_MS),
    });
    void request.outcome.then((outcome) => {
      if (outcome.kind !== 'response') stats.reports_failed.inc();
      else if (outcome.response.status >= 200 && outcome.response.status < 300) stats.reports_sent.inc();
      else stats.reports_dropped.inc();
    });
  }
}
