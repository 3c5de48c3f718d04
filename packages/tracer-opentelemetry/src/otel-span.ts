import { randomTraceId, wallClockMs, type Span, type TraceContextCarrier } from '@nodevoy/core';

/** A finished span as the exporter takes it (wall-clock milliseconds). */
export interface FinishedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly traceState: string;
  readonly name: string;
  readonly kind: 'server' | 'client';
  readonly startTimeMs: number;
  readonly endTimeMs: number;
  readonly attributes: Readonly<Record<string, string>>;
  readonly events: readonly { readonly timeMs: number; readonly name: string }[];
  /** An `error` tag was set (Envoy's error status). */
  readonly error: boolean;
}

export interface OtelSpanFields {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly traceState: string;
  readonly name: string;
  readonly kind: 'server' | 'client';
  readonly sampled: boolean;
  readonly startTimeMs: number;
}

/**
 * An OpenTelemetry span (Envoy's OpenTelemetry `Span`): `traceparent` and `tracestate` carry its
 * context on (the state as it came, Envoy sends the header even when empty); a sampled span is
 * exported when it finishes.
 */
export class OtelSpan implements Span {
  private name: string;
  private sampled: boolean;
  private readonly attributes: Record<string, string> = {};
  private readonly events: { timeMs: number; name: string }[] = [];
  private finished = false;

  constructor(
    private readonly report: (span: FinishedSpan) => void,
    private readonly fields: OtelSpanFields,
  ) {
    this.name = fields.name;
    this.sampled = fields.sampled;
  }

  get traceId(): string {
    return this.fields.traceId;
  }

  get spanId(): string {
    return this.fields.spanId;
  }

  setOperation(name: string): void {
    this.name = name;
  }

  setTag(name: string, value: string): void {
    this.attributes[name] = value;
  }

  log(timeMs: number, event: string): void {
    this.events.push({ timeMs, name: event });
  }

  setSampled(sampled: boolean): void {
    this.sampled = sampled;
  }

  injectContext(headers: TraceContextCarrier): void {
    headers.set('traceparent', `00-${this.fields.traceId}-${this.fields.spanId}-${this.sampled ? '01' : '00'}`);
    headers.set('tracestate', this.fields.traceState);
  }

  spawnChild(name: string, startTimeMs: number): Span {
    const { traceId, spanId, traceState } = this.fields;
    return new OtelSpan(this.report, { traceId, spanId: randomTraceId(8), parentSpanId: spanId, traceState, name, kind: 'client', sampled: this.sampled, startTimeMs });
  }

  finishSpan(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.sampled) return;
    const { traceId, spanId, parentSpanId, traceState, kind, startTimeMs } = this.fields;
    this.report({
      traceId,
      spanId,
      parentSpanId,
      traceState,
      name: this.name,
      kind,
      startTimeMs,
      endTimeMs: wallClockMs(),
      attributes: this.attributes,
      events: this.events,
      error: this.attributes['error'] === 'true',
    });
  }
}
