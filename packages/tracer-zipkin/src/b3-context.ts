import type { TraceContextCarrier } from '@nodevoy/core';

/** A B3 context a request came with (Envoy's Zipkin `SpanContextExtractor`). */
export interface B3Context {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | undefined;
  /** Undefined when the request left the decision to this hop. */
  readonly sampled: boolean | undefined;
}

const TRACE_ID = /^([0-9a-f]{16}|[0-9a-f]{32})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

function sampledFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === '1' || value === 'd' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return undefined;
}

/**
 * The B3 context of a request, from the single `b3` header or the `x-b3-*` headers; `invalid`
 * when ids are present but malformed (Envoy then does not trace the request).
 */
export function extractB3(headers: TraceContextCarrier): B3Context | 'invalid' | undefined {
  const single = headers.get('b3');
  if (single !== undefined) {
    const [traceId = '', spanId = '', flag, parentId] = single.toLowerCase().split('-');
    if (spanId === '' && sampledFlag(traceId) !== undefined) return undefined;
    if (!TRACE_ID.test(traceId) || !SPAN_ID.test(spanId) || (parentId !== undefined && !SPAN_ID.test(parentId))) return 'invalid';
    return { traceId, spanId, parentId, sampled: sampledFlag(flag) };
  }
  const traceId = headers.get('x-b3-traceid')?.toLowerCase();
  const spanId = headers.get('x-b3-spanid')?.toLowerCase();
  const sampled = headers.get('x-b3-flags') === '1' ? true : sampledFlag(headers.get('x-b3-sampled')?.toLowerCase());
  if (traceId === undefined || spanId === undefined) {
    if (traceId !== undefined || spanId !== undefined) return 'invalid';
    return sampled === undefined ? undefined : { traceId: '', spanId: '', parentId: undefined, sampled };
  }
  const parentId = headers.get('x-b3-parentspanid')?.toLowerCase();
  if (!TRACE_ID.test(traceId) || !SPAN_ID.test(spanId) || (parentId !== undefined && !SPAN_ID.test(parentId))) return 'invalid';
  return { traceId, spanId, parentId, sampled };
}
