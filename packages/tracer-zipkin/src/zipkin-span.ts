import { randomTraceId, RecordingSpan, type Span, type TraceContextCarrier } from '@nodevoy/core';

/** A span as Zipkin's v2 JSON API takes it (timestamps and durations in microseconds). */
export interface ZipkinSpanJson {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind: 'SERVER' | 'CLIENT';
  timestamp: number;
  duration: number;
  localEndpoint: { serviceName?: string; ipv4: string; port: number };
  shared?: true;
  annotations: { timestamp: number; value: string }[];
  tags: Record<string, string>;
}

export interface ZipkinSpanFields {
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string | undefined;
  readonly name: string;
  readonly kind: 'SERVER' | 'CLIENT';
  /** A server span that shares its id with the client span that called it. */
  readonly shared: boolean;
  readonly sampled: boolean;
  readonly startTimeMs: number;
}

/** Where finished spans go, and what every span of the tracer says of this proxy. */
export interface ZipkinSpanSink {
  readonly localEndpoint: ZipkinSpanJson['localEndpoint'];
  report(span: ZipkinSpanJson): void;
}

const micros = (ms: number) => Math.round(ms * 1000);

/**
 * A Zipkin span (Envoy's `Zipkin::Span`): B3 headers carry its context on; a sampled one is
 * reported when it finishes, with `ss` (server) or `cr` (client) at its end as Envoy annotates.
 */
export class ZipkinSpan extends RecordingSpan {
  private readonly tags: Record<string, string> = {};
  private readonly annotations: { timestamp: number; value: string }[] = [];

  constructor(
    private readonly sink: ZipkinSpanSink,
    private readonly fields: ZipkinSpanFields,
  ) {
    super(fields.name, fields.sampled);
  }

  get traceId(): string {
    return this.fields.traceId;
  }

  get spanId(): string {
    return this.fields.id;
  }

  /** As Envoy's Zipkin span: a tag without a value is not kept. */
  setTag(name: string, value: string): void {
    if (name !== '' && value !== '') this.tags[name] = value;
  }

  log(timeMs: number, event: string): void {
    this.annotations.push({ timestamp: micros(timeMs), value: event });
  }

  injectContext(headers: TraceContextCarrier): void {
    headers.set('x-b3-traceid', this.fields.traceId);
    headers.set('x-b3-spanid', this.fields.id);
    if (this.fields.parentId !== undefined) headers.set('x-b3-parentspanid', this.fields.parentId);
    headers.set('x-b3-sampled', this.sampled ? '1' : '0');
  }

  spawnChild(name: string, startTimeMs: number): Span {
    return new ZipkinSpan(this.sink, {
      traceId: this.fields.traceId,
      id: randomTraceId(8),
      parentId: this.fields.id,
      name,
      kind: 'CLIENT',
      shared: false,
      sampled: this.sampled,
      startTimeMs,
    });
  }

  protected record(end: number): void {
    this.annotations.push({ timestamp: micros(end), value: this.fields.kind === 'SERVER' ? 'ss' : 'cr' });
    const { traceId, id, parentId, kind, shared, startTimeMs } = this.fields;
    this.sink.report({
      traceId,
      id,
      ...(parentId !== undefined ? { parentId } : {}),
      name: this.name,
      kind,
      timestamp: micros(startTimeMs),
      duration: Math.max(1, micros(end - startTimeMs)),
      localEndpoint: this.sink.localEndpoint,
      ...(shared ? { shared: true as const } : {}),
      annotations: this.annotations,
      tags: this.tags,
    });
  }
}
