import { randomTraceId, RecordingSpan, type Span, type TraceContextCarrier } from '@nodevoy/core';

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

/** A finished span as the exporter takes it (wall-clock milliseconds). */
export interface FinishedSpan extends Omit<OtelSpanFields, 'sampled'> {
  readonly endTimeMs: number;
  readonly attributes: Readonly<Record<string, string>>;
  readonly events: readonly { readonly timeMs: number; readonly name: string }[];
  /** An `error` tag was set (Envoy's error status). */
  readonly error: boolean;
}

/**
 * An OpenTelemetry span (Envoy's OpenTelemetry `Span`): `traceparent` and `tracestate` carry its
 * context on (the state as it came, Envoy sends the header even when empty); a sampled span is
 * exported when it finishes.
 */
export class OtelSpan extends RecordingSpan {
  private readonly attributes: Record<string, string> = {};
  private readonly events: { timeMs: number; name: string }[] = [];

  constructor(
    private readonly report: (span: FinishedSpan) => void,
    private readonly fields: OtelSpanFields,
  ) {
    super(fields.name, fields.sampled);
  }

  get traceId(): string {
    return this.fields.traceId;
  }

  get spanId(): string {
    return this.fields.spanId;
  }

  setTag(name: string, value: string): void {
    this.attributes[name] = value;
  }

  log(timeMs: number, event: string): void {
    this.events.push({ timeMs, name: event });
  }

  injectContext(headers: TraceContextCarrier): void {
    headers.set('traceparent', `00-${this.fields.traceId}-${this.fields.spanId}-${this.sampled ? '01' : '00'}`);
    headers.set('tracestate', this.fields.traceState);
  }

  spawnChild(name: string, startTimeMs: number): Span {
    const { traceId, spanId, traceState } = this.fields;
    return new OtelSpan(this.report, { traceId, spanId: randomTraceId(8), parentSpanId: spanId, traceState, name, kind: 'client', sampled: this.sampled, startTimeMs });
  }

  protected record(endTimeMs: number): void {
    const { traceId, spanId, parentSpanId, traceState, kind, startTimeMs } = this.fields;
    this.report({
      traceId,
      spanId,
      parentSpanId,
      traceState,
      name: this.name,
      kind,
      startTimeMs,
      endTimeMs,
      attributes: this.attributes,
      events: this.events,
      error: this.attributes['error'] === 'true',
    });
  }
}
