/** Milliseconds since the epoch with sub-millisecond precision: span timestamps and durations in microseconds need it. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
