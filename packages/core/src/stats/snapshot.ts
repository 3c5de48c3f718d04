import type { StatsStore } from './store.js';

/** A server's stats as plain data, to send to another process (one per worker). */
export interface StatsSnapshot {
  readonly counters: readonly (readonly [name: string, value: number])[];
  readonly gauges: readonly (readonly [name: string, value: number, used: boolean])[];
  readonly histograms: readonly {
    readonly name: string;
    readonly unit: 'ms' | 'us' | 'bytes' | 'unspecified';
    readonly bucketCounts: readonly number[];
    readonly count: number;
    readonly sum: number;
    readonly min: number;
    readonly max: number;
  }[];
}

/** Takes the snapshot after the refreshers ran, as a stats read would see it. */
export function snapshotStats(store: StatsStore): StatsSnapshot {
  store.refresh();
  return {
    counters: [...store.counters.values()].map((c) => [c.name, c.value] as const),
    gauges: [...store.gauges.values()].map((g) => [g.name, g.value, g.used] as const),
    histograms: [...store.histograms.values()].map((h) => ({
      name: h.name,
      unit: h.unit,
      bucketCounts: [...h.bucketCounts],
      count: h.count,
      sum: h.sum,
      min: h.min,
      max: h.max,
    })),
  };
}

/**
 * Gauges that describe the whole server rather than add up over workers: every worker is live,
 * every worker has the same clusters with the same hosts, and a pressure or an action in force
 * somewhere is reported once, at its highest.
 */
const NOT_SUMMED = new RegExp(
  [
    /^server\.(live|state|uptime|concurrency|hot_restart_epoch)$/,
    /^control_plane\.connected_state$/,
    /^overload\..+\.(active|scale_percent|pressure)$/,
    /^cluster\..+\.(membership_(total|healthy|degraded|excluded)|max_host_weight|health_check\.(healthy|degraded))$/,
  ]
    .map((r) => r.source)
    .join('|'),
);

/**
 * Adds one worker's snapshot into `store`, as one server reports many workers: counters,
 * gauges and histograms add up (except the whole-server gauges above, which take the maximum).
 */
export function mergeStats(store: StatsStore, snapshot: StatsSnapshot): void {
  for (const [name, value] of snapshot.counters) store.counter(name).inc(value);
  for (const [name, value, used] of snapshot.gauges) {
    const gauge = store.gauge(name);
    const merged = NOT_SUMMED.test(name) ? Math.max(gauge.value, value) : gauge.value + value;
    gauge.value = merged;
    gauge.used ||= used;
  }
  for (const h of snapshot.histograms) {
    const histogram = store.histogram(h.name, h.unit);
    h.bucketCounts.forEach((n, i) => (histogram.bucketCounts[i] = (histogram.bucketCounts[i] ?? 0) + n));
    histogram.count += h.count;
    histogram.sum += h.sum;
    histogram.min = Math.min(histogram.min, h.min);
    histogram.max = Math.max(histogram.max, h.max);
  }
}
