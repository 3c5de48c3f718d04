import { wallClockMs, type Address, type Span, type WorkerContext } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import type { CustomTag, CustomTagContext } from './custom-tags.js';
import { compileCustomTags, routeSampling, type HttpTracing } from './http-tracing.js';
import { isTraced, markTraceStatus } from './trace-decision.js';
import type { RouteTracingConfig } from './tracing-config.js';

/** The route as tracing sees it: its `tracing` overrides, decorator and metadata. */
export interface TracedRoute {
  readonly tracing: RouteTracingConfig | undefined;
  readonly decorator: { readonly operation: string; readonly propagate?: boolean | undefined } | undefined;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
}

/** What the request was and how it ended, for the downstream span's tags (Envoy's `finalizeDownstreamSpan`). */
export interface DownstreamOutcome {
  readonly protocol: string;
  readonly directRemoteAddress: Address;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** 0 when nothing was answered. */
  readonly responseCode: number;
  readonly responseFlags: string;
  readonly responseHeaders: HeaderMap | undefined;
  readonly responseTrailers: HeaderMap | undefined;
  readonly upstreamCluster: string | undefined;
  readonly dynamicMetadata: ReadonlyMap<string, unknown>;
}

/** What an upstream attempt's span is tagged with when it ends (Envoy's `finalizeUpstreamSpan`). */
export interface UpstreamOutcome {
  readonly protocol: string | undefined;
  readonly responseCode: number;
  readonly responseFlags: string;
  readonly responseHeaders: HeaderMap | undefined;
}

const routeTags = new WeakMap<RouteTracingConfig, Map<string, CustomTag>>();

const isGrpc = (headers: HeaderMap) => headers.get('content-type')?.startsWith('application/grpc') === true;

function setIfPresent(span: Span, tag: string, value: string | undefined): void {
  if (value !== undefined) span.setTag(tag, value);
}

/** Envoy's gRPC response tags, from the trailers or else the headers; a non-OK status is an error. */
function grpcResponseTags(span: Span, headers: HeaderMap | undefined, trailers: HeaderMap | undefined): void {
  const source = trailers?.get('grpc-status') !== undefined ? trailers : headers?.get('grpc-status') !== undefined ? headers : undefined;
  if (!source) return;
  const status = source.get('grpc-status') as string;
  span.setTag('grpc.status_code', status);
  setIfPresent(span, 'grpc.message', source.get('grpc-message'));
  if (status !== '0') span.setTag('error', 'true');
}

/**
 * One request's tracing: the decision (in `x-request-id`), the downstream span started from the
 * request's propagated context, the context every upstream attempt carries on (through a span of
 * its own with `spawn_upstream_span`), and the tags Envoy sets when each span ends.
 */
export class RequestTracing {
  private readonly customTags: ReadonlyMap<string, CustomTag>;

  private constructor(
    readonly span: Span,
    /** The connection manager's decision (sampling, client, forced), whatever the propagated context says. */
    readonly traced: boolean,
    private readonly tracing: HttpTracing,
    private readonly headers: HeaderMap,
    private readonly route: TracedRoute | undefined,
  ) {
    const overrides = route?.tracing?.custom_tags?.length ? (routeTags.get(route.tracing) ?? cacheRouteTags(route.tracing)) : undefined;
    this.customTags = overrides ? new Map([...tracing.customTags, ...overrides]) : tracing.customTags;
  }

  /** Decides and starts the downstream span (Envoy's `traceRequest`); `headers` already carry the request id. */
  static start(tracing: HttpTracing, headers: HeaderMap, route: TracedRoute | undefined, healthCheck: boolean, worker: WorkerContext): RequestTracing {
    markTraceStatus(headers, routeSampling(tracing.sampling, route?.tracing));
    const traced = isTraced(headers, healthCheck);
    const host = headers.get(':authority') ?? '';
    const span = tracing.tracer.startSpan({
      name: tracing.operation === 'egress' ? `egress ${host}` : 'ingress',
      operation: tracing.operation,
      headers,
      traced,
      startTimeMs: wallClockMs(),
      worker,
    });
    span.setTag('node_id', tracing.nodeId);
    span.setTag('zone', tracing.zone);
    const decorator = route?.decorator;
    if (decorator) {
      span.setOperation(decorator.operation);
      // Ingress tells the next hop the operation it serves, unless the route says not to.
      if (tracing.operation === 'ingress' && decorator.propagate !== false) headers.set('x-envoy-decorator-operation', decorator.operation);
    }
    return new RequestTracing(span, traced, tracing, headers, route);
  }

  /**
   * An upstream attempt to `cluster`: its request carries this trace on, through a span of its
   * own (`router <cluster> egress`) with `spawn_upstream_span` (when unset, the router's
   * `start_child_span`), returned to be finished.
   */
  startUpstream(cluster: string, upstreamHeaders: HeaderMap, upstreamAddress: Address, routerStartsChildSpan: boolean): UpstreamSpan | undefined {
    if (!(this.tracing.spawnUpstreamSpan ?? routerStartsChildSpan)) {
      this.span.injectContext(upstreamHeaders);
      return undefined;
    }
    const child = this.span.spawnChild(`router ${cluster} egress`, wallClockMs());
    child.injectContext(upstreamHeaders);
    return new UpstreamSpan(child, cluster, upstreamAddress, (span) => this.applyCustomTags(span, undefined));
  }

  /** Tags the downstream span with how the request went, and ends it. */
  finish(outcome: DownstreamOutcome): void {
    const { span, headers } = this;
    setIfPresent(span, 'guid:x-request-id', headers.get('x-request-id'));
    span.setTag('http.url', this.url());
    span.setTag('http.method', headers.get(':method') ?? '');
    span.setTag('downstream_cluster', headers.get('x-envoy-downstream-service-cluster') ?? '-');
    span.setTag('user_agent', headers.get('user-agent') ?? '-');
    span.setTag('http.protocol', outcome.protocol);
    const remote = outcome.directRemoteAddress;
    span.setTag('peer.address', remote.kind === 'socket' ? remote.ip : remote.asString);
    setIfPresent(span, 'guid:x-client-trace-id', headers.get('x-client-trace-id'));
    if (isGrpc(headers)) {
      setIfPresent(span, 'grpc.path', headers.get(':path'));
      setIfPresent(span, 'grpc.authority', headers.get(':authority'));
      setIfPresent(span, 'grpc.content_type', headers.get('content-type'));
      setIfPresent(span, 'grpc.timeout', headers.get('grpc-timeout'));
    }
    this.applyCustomTags(span, outcome.dynamicMetadata);
    span.setTag('request_size', String(outcome.bytesReceived));
    span.setTag('response_size', String(outcome.bytesSent));
    span.setTag('component', 'proxy');
    if (outcome.upstreamCluster !== undefined) {
      span.setTag('upstream_cluster', outcome.upstreamCluster);
      span.setTag('upstream_cluster.name', outcome.upstreamCluster);
    }
    span.setTag('http.status_code', String(outcome.responseCode));
    span.setTag('response_flags', outcome.responseFlags);
    grpcResponseTags(span, outcome.responseHeaders, outcome.responseTrailers);
    if (outcome.responseCode === 0 || outcome.responseCode >= 500) span.setTag('error', 'true');
    span.finishSpan();
  }

  /** `http.url`: x-forwarded-proto, host and the original path, the path cut at `max_path_tag_length`. */
  private url(): string {
    const { headers } = this;
    const path = headers.get('x-envoy-original-path') ?? headers.get(':path');
    if (path === undefined) return '';
    return `${headers.get('x-forwarded-proto') ?? headers.get(':scheme') ?? 'http'}://${headers.get(':authority') ?? ''}${path.slice(0, this.tracing.maxPathTagLength)}`;
  }

  private applyCustomTags(span: Span, dynamicMetadata: ReadonlyMap<string, unknown> | undefined): void {
    if (this.customTags.size === 0) return;
    const context: CustomTagContext = { requestHeaders: this.headers, dynamicMetadata: dynamicMetadata ?? new Map(), routeMetadata: this.route?.metadata };
    for (const tag of this.customTags.values()) tag(span, context);
  }
}

function cacheRouteTags(config: RouteTracingConfig): Map<string, CustomTag> {
  const tags = compileCustomTags(config.custom_tags);
  routeTags.set(config, tags);
  return tags;
}

/** The span of one upstream attempt (`spawn_upstream_span`). */
export class UpstreamSpan {
  private finished = false;

  constructor(
    private readonly span: Span,
    private readonly cluster: string,
    private readonly address: Address,
    private readonly customTags: (span: Span) => void,
  ) {}

  finish(outcome: UpstreamOutcome): void {
    if (this.finished) return;
    this.finished = true;
    const { span } = this;
    if (outcome.protocol !== undefined) span.setTag('http.protocol', outcome.protocol);
    span.setTag('upstream_address', this.address.asString);
    span.setTag('peer.address', this.address.asString);
    span.setTag('component', 'proxy');
    span.setTag('upstream_cluster', this.cluster);
    span.setTag('upstream_cluster.name', this.cluster);
    span.setTag('http.status_code', String(outcome.responseCode));
    span.setTag('response_flags', outcome.responseFlags);
    grpcResponseTags(span, outcome.responseHeaders, undefined);
    this.customTags(span);
    if (outcome.responseCode === 0 || outcome.responseCode >= 500) span.setTag('error', 'true');
    span.finishSpan();
  }
}
