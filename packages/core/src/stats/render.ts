import type { Histogram, StatsStore } from './store.js';

/** The quantiles Envoy's admin reports for every histogram. */
export const SUPPORTED_QUANTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100] as const;

export interface StatsQuery {
  /** `filter=`: an ECMAScript regular expression over the full stat name. */
  readonly filter?: RegExp;
  /** `usedonly`: only stats that were ever written. */
  readonly usedOnly?: boolean;
  /** `type=`: Counters, Gauges or Histograms. */
  readonly type?: 'Counters' | 'Gauges' | 'Histograms' | 'All';
}

interface Scalar {
  readonly name: string;
  readonly value: number;
}

function scalars(store: StatsStore, query: StatsQuery): Scalar[] {
  store.refresh();
  const out: Scalar[] = [];
  const wanted = (name: string) => !query.filter || query.filter.test(name);
  if (query.type === undefined || query.type === 'All' || query.type === 'Counters') {
    for (const c of store.counters.values()) if (wanted(c.name) && (!query.usedOnly || c.value !== 0)) out.push(c);
  }
  if (query.type === undefined || query.type === 'All' || query.type === 'Gauges') {
    for (const g of store.gauges.values()) if (wanted(g.name) && (!query.usedOnly || g.used)) out.push({ name: g.name, value: g.value });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function histograms(store: StatsStore, query: StatsQuery): Histogram[] {
  if (query.type !== undefined && query.type !== 'All' && query.type !== 'Histograms') return [];
  return [...store.histograms.values()]
    .filter((h) => (!query.filter || query.filter.test(h.name)) && (!query.usedOnly || h.count > 0))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  return String(Math.round(n * 1000) / 1000);
}

/** `/stats`: `name: value` lines, histograms last, as Envoy prints them. */
export function renderStatsText(store: StatsStore, query: StatsQuery = {}): string {
  const lines = scalars(store, query).map((s) => `${s.name}: ${s.value}`);
  for (const h of histograms(store, query)) {
    if (h.count === 0) {
      lines.push(`${h.name}: No recorded values`);
      continue;
    }
    const parts = SUPPORTED_QUANTILES.map((q) => {
      const v = formatNumber(h.quantile(q / 100));
      return `P${q}(${v},${v})`;
    });
    lines.push(`${h.name}: ${parts.join(' ')}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** `/stats?format=json`. */
export function renderStatsJson(store: StatsStore, query: StatsQuery = {}): unknown {
  const stats: unknown[] = scalars(store, query).map((s) => ({ name: s.name, value: s.value }));
  const hs = histograms(store, query);
  if (hs.length > 0) {
    stats.push({
      histograms: {
        supported_quantiles: [...SUPPORTED_QUANTILES],
        computed_quantiles: hs.map((h) => ({
          name: h.name,
          values: SUPPORTED_QUANTILES.map((q) => {
            const v = h.count === 0 ? null : Math.round(h.quantile(q / 100) * 1000) / 1000;
            return { interval: v, cumulative: v };
          }),
        })),
      },
    });
  }
  return { stats };
}
