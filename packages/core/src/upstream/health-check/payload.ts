import type { HealthCheckPayloadConfig } from '../../config/envoy/health-check.js';

/** A `HealthCheck.Payload` as bytes: `text` is hex, `binary` raw. */
export function payloadBytes(payload: HealthCheckPayloadConfig): Buffer {
  if (payload.binary) return payload.binary;
  return Buffer.from(payload.text ?? '', 'hex');
}

/**
 * Whether `data` holds every expected segment, in order, each after the previous one (Envoy's
 * `PayloadMatcher::match`: fuzzy, so unrelated bytes may sit between them).
 */
export function payloadMatches(expected: readonly Buffer[], data: Buffer): boolean {
  let from = 0;
  for (const segment of expected) {
    const at = data.indexOf(segment, from);
    if (at < 0) return false;
    from = at + segment.length;
  }
  return true;
}
