import { createTraceState, SpanKind, SpanStatusCode, TraceFlags, type HrTime } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { CORE_VERSION } from '@nodevoy/core';
import type { FinishedSpan } from './otel-span.js';

/** The SDK's span shape, as its OTLP serializer reads it. */
type ReadableSpan = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0][number];

/** Envoy's `service.name` when `service_name` is unset. */
export const DEFAULT_SERVICE_NAME = 'unknown_service:envoy';

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

/**
 * Serializes finished spans into an OTLP `ExportTraceServiceRequest` with the OpenTelemetry JS
 * SDK's own serializer: one resource (`service.name`, and nodevoy as the telemetry SDK), one
 * instrumentation scope.
 */
export class OtlpSpanSerializer {
  private readonly resource;
  private readonly scope = { name: 'envoy', version: CORE_VERSION };

  constructor(serviceName: string) {
    this.resource = resourceFromAttributes({
      'service.name': serviceName,
      'telemetry.sdk.name': 'nodevoy',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': CORE_VERSION,
    });
  }

  serialize(spans: readonly FinishedSpan[]): Uint8Array {
    const serialized = ProtobufTraceSerializer.serializeRequest(spans.map((span) => this.readable(span)));
    if (!serialized) throw new Error('the OTLP serializer produced nothing');
    return serialized;
  }

  private readable(span: FinishedSpan): ReadableSpan {
    const traceState = span.traceState ? createTraceState(span.traceState) : undefined;
    const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED, ...(traceState ? { traceState } : {}) };
    return {
      name: span.name,
      kind: span.kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT,
      spanContext: () => context,
      ...(span.parentSpanId ? { parentSpanContext: { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED } } : {}),
      startTime: hrTime(span.startTimeMs),
      endTime: hrTime(span.endTimeMs),
      duration: hrTime(Math.max(0, span.endTimeMs - span.startTimeMs)),
      status: { code: span.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
      attributes: span.attributes,
      links: [],
      events: span.events.map((event) => ({ name: event.name, time: hrTime(event.timeMs) })),
      ended: true,
      resource: this.resource,
      instrumentationScope: this.scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }
}
