import type { TraceContextCarrier } from '@nodevoy/core';

/** A W3C trace context a request came with (`traceparent`, `tracestate`). */
export interface W3cContext {
  readonly traceId: string;
  readonly parentId: string;
  readonly sampled: boolean;
  readonly traceState: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZEROS = /^0+$/;

/**
 * The request's `traceparent` as W3C Trace Context reads it: version 00 has exactly four
 * fields, later versions may add more, `ff` is invalid, and all-zero ids are invalid.
 * `invalid` when the header is there but unusable (Envoy then does not trace the request).
 */
export function extractW3c(headers: TraceContextCarrier): W3cContext | 'invalid' | undefined {
  const header = headers.get('traceparent');
  if (header === undefined) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return 'invalid';
  const [, version = '', traceId = '', parentId = '', flags = '', rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined) || ZEROS.test(traceId) || ZEROS.test(parentId)) return 'invalid';
  return { traceId, parentId, sampled: (Number.parseInt(flags, 16) & 1) === 1, traceState: headers.get('tracestate') ?? '' };
}
