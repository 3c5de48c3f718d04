import type { MetricSnapshot, StatsSink } from '../registry/types.js';
import type { StatsSnapshot } from './snapshot.js';
import type { StatsStore } from './store.js';

/**
 * Envoy's stats flush: every `stats_flush_interval`, each sink gets the counters that ever
 * counted (with their change since the last flush) and the gauges that were ever set; histogram
 * values go to the sinks as they are recorded. With several workers, each worker sends its own
 * histogram values and the primary flushes the counters and gauges of all of them, added up.
 */
export class StatsFlusher {
  /** Per counter: its value at the last flush. */
  private readonly flushed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private watched: StatsStore | undefined;

  constructor(private readonly sinks: readonly StatsSink[]) {}

  /** Sends every value `store`'s histograms record to the sinks, as it is recorded. */
  watchHistograms(store: StatsStore): void {
    this.watched = store;
    store.onHistogramRecord = (histogram, value) => {
      for (const sink of this.sinks) sink.onHistogramComplete(histogram, value);
    };
  }

  /** Flushes what `source` gives every `intervalMs`, one flush at a time. */
  startPeriodic(intervalMs: number, source: () => StatsSnapshot | Promise<StatsSnapshot>): void {
    let flushing = false;
    this.timer = setInterval(() => {
      if (flushing) return;
      flushing = true;
      void Promise.resolve()
        .then(source)
        .then((snapshot) => this.flush(snapshot))
        .catch(() => {}) // a worker that went away mid-flush: the next flush has the others
        .finally(() => (flushing = false));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.watched) this.watched.onHistogramRecord = undefined;
    for (const sink of this.sinks) sink.close();
  }

  flush(snapshot: StatsSnapshot): void {
    const counters: MetricSnapshot['counters'][number][] = [];
    for (const [name, value] of snapshot.counters) {
      if (value === 0) continue;
      // A restarted worker starts its counters again: a counter never goes back.
      counters.push({ name, delta: Math.max(0, value - (this.flushed.get(name) ?? 0)), value });
      this.flushed.set(name, value);
    }
    const gauges = snapshot.gauges.filter(([, , used]) => used).map(([name, value]) => ({ name, value }));
    for (const sink of this.sinks) sink.flush({ counters, gauges });
  }
}
