import type { ServerContext } from '../server/context.js';
import type { ExtensionFactory } from '../registry/types.js';
import type { Category } from '../registry/categories.js';
import type { WorkerContext } from '../server/worker.js';

/** The headers a trace context is read from and written to (an HTTP request's). */
export interface TraceContextCarrier {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/** Envoy's `Tracing::OperationName`: the listener's traffic direction. */
export type TraceOperation = 'ingress' | 'egress';

/** What a tracer gets to start the span of a downstream request (Envoy's `Driver::startSpan`). */
export interface SpanStartOptions {
  /** `ingress`, or `egress <host>` (Envoy's span name for the connection manager's span). */
  readonly name: string;
  readonly operation: TraceOperation;
  /** The request: its `:authority`, and the trace context propagated to it. */
  readonly headers: TraceContextCarrier;
  /** The connection manager's decision (sampling, client or forced tracing); a propagated context may override it. */
  readonly traced: boolean;
  /** Wall clock, milliseconds since the epoch. */
  readonly startTimeMs: number;
  /** The worker the request runs on: reports go out through its connection pools. */
  readonly worker: WorkerContext;
}

/**
 * One span (Envoy's `Tracing::Span`). A span the tracer will not export (not sampled) still
 * propagates its context, so the next hop knows the decision.
 */
export interface Span {
  setOperation(name: string): void;
  setTag(name: string, value: string): void;
  /** A timestamped event (verbose tracing's annotations). */
  log(timeMs: number, event: string): void;
  /** Writes this span's context into an upstream request's headers. */
  injectContext(headers: TraceContextCarrier): void;
  /** A child span: the router's upstream span (`spawn_upstream_span`). */
  spawnChild(name: string, startTimeMs: number): Span;
  setSampled(sampled: boolean): void;
  /** Ends the span; a sampled one is queued for export. */
  finishSpan(): void;
  readonly traceId: string;
  readonly spanId: string;
}

/** A tracing provider's driver (Envoy's `Tracing::Driver`): one per provider config, shared by connection managers. */
export interface Tracer {
  startSpan(options: SpanStartOptions): Span;
}

/** A tracer extension (`envoy.tracers.*`), as `tracing.provider` names it. */
export interface TracerFactory<C = unknown> extends ExtensionFactory<C> {
  readonly category: typeof Category.tracer;
  createTracer(config: C, context: ServerContext): Tracer;
}

/** A span that records and propagates nothing (Envoy's `NullSpan`): a request a tracer will not trace at all. */
export const NULL_SPAN: Span = Object.freeze({
  traceId: '',
  spanId: '',
  setOperation() {},
  setTag() {},
  log() {},
  injectContext() {},
  spawnChild: () => NULL_SPAN,
  setSampled() {},
  finishSpan() {},
});
