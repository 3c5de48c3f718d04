/** A monotonically increasing count, as Envoy's counters. */
export class Counter {
  value = 0;
  constructor(readonly name: string) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/** A value that goes up and down. `used` follows Envoy's `usedonly` rule: ever written. */
export class Gauge {
  value = 0;
  used = false;
  constructor(readonly name: string) {}

  inc(by = 1): void {
    this.value += by;
    this.used = true;
  }

  dec(by = 1): void {
    this.value -= by;
    this.used = true;
  }

  set(value: number): void {
    this.value = value;
    this.used = true;
  }
}

/** Envoy's default histogram bucket bounds. */
export const DEFAULT_HISTOGRAM_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** A distribution kept as bucket counts (bounded memory), plus sum, count and extremes. */
export class Histogram {
  readonly bucketCounts: number[] = new Array<number>(DEFAULT_HISTOGRAM_BUCKETS.length + 1).fill(0);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  constructor(
    readonly name: string,
    readonly unit: 'ms' | 'us' | 'bytes' | 'unspecified' = 'unspecified',
    private readonly store?: StatsStore,
  ) {}

  record(value: number): void {
    this.store?.onHistogramRecord?.(this, value);
    let i = 0;
    while (i < DEFAULT_HISTOGRAM_BUCKETS.length && value > (DEFAULT_HISTOGRAM_BUCKETS[i] as number)) i++;
    this.bucketCounts[i] = (this.bucketCounts[i] ?? 0) + 1;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Quantile `q` in [0, 1], interpolated inside the bucket that holds it. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const rank = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.bucketCounts.length; i++) {
      const inBucket = this.bucketCounts[i] ?? 0;
      if (seen + inBucket >= rank && inBucket > 0) {
        const lower = Math.max(i === 0 ? this.min : (DEFAULT_HISTOGRAM_BUCKETS[i - 1] as number), this.min);
        const upper = Math.min(DEFAULT_HISTOGRAM_BUCKETS[i] ?? this.max, this.max);
        return lower + ((upper - lower) * (rank - seen)) / inBucket;
      }
      seen += inBucket;
    }
    return this.max;
  }
}

/**
 * Every stat of one server. Names are flat and dotted, exactly Envoy's
 * (`cluster.<name>.upstream_cx_total`); scopes only prepend prefixes.
 */
export class StatsStore {
  readonly counters = new Map<string, Counter>();
  readonly gauges = new Map<string, Gauge>();
  readonly histograms = new Map<string, Histogram>();
  private readonly refreshers: (() => void)[] = [];
  /** Told every value any histogram records (stats sinks send them as they come); unset, nothing is. */
  onHistogramRecord: ((histogram: Histogram, value: number) => void) | undefined;

  /**
   * Registers a function that brings gauges up to date just before stats are read, for
   * values that would cost too much to keep current on the data path (bytes buffered).
   */
  addRefresher(refresh: () => void): void {
    this.refreshers.push(refresh);
  }

  refresh(): void {
    for (const refresh of this.refreshers) refresh();
  }

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter(name)));
    return c;
  }

  gauge(name: string): Gauge {
    let g = this.gauges.get(name);
    if (!g) this.gauges.set(name, (g = new Gauge(name)));
    return g;
  }

  histogram(name: string, unit?: Histogram['unit']): Histogram {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = new Histogram(name, unit, this)));
    return h;
  }

  scope(prefix: string): StatsScope {
    return new StatsScope(this, prefix.endsWith('.') || prefix === '' ? prefix : `${prefix}.`);
  }
}

/** A view of the store under a prefix such as `tcp.<stat_prefix>.`. */
export class StatsScope {
  constructor(
    readonly store: StatsStore,
    readonly prefix: string,
  ) {}

  counter(name: string): Counter {
    return this.store.counter(this.prefix + name);
  }

  gauge(name: string): Gauge {
    return this.store.gauge(this.prefix + name);
  }

  histogram(name: string, unit?: Histogram['unit']): Histogram {
    return this.store.histogram(this.prefix + name, unit);
  }

  scope(name: string): StatsScope {
    return this.store.scope(this.prefix + name);
  }
}

export interface StatsSetSpec<C extends string, G extends string, H extends string> {
  readonly counters?: readonly C[];
  readonly gauges?: readonly G[];
  readonly histograms?: readonly H[];
}

export type StatsSet<C extends string, G extends string, H extends string> = { readonly [K in C]: Counter } & {
  readonly [K in G]: Gauge;
} & { readonly [K in H]: Histogram };

/**
 * Creates a named group of stats in a scope, like Envoy's `ALL_*_STATS` macros: every stat of
 * the group exists (and shows in /stats) from the start, at 0.
 */
export function createStatsSet<C extends string, G extends string, H extends string>(
  scope: StatsScope,
  spec: StatsSetSpec<C, G, H>,
): StatsSet<C, G, H> {
  const out: Record<string, Counter | Gauge | Histogram> = {};
  for (const name of spec.counters ?? []) out[name] = scope.counter(name);
  for (const name of spec.gauges ?? []) out[name] = scope.gauge(name);
  for (const name of spec.histograms ?? []) out[name] = scope.histogram(name, name.endsWith('_ms') ? 'ms' : 'unspecified');
  return out as StatsSet<C, G, H>;
}
