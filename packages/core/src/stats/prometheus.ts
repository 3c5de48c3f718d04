import { DEFAULT_HISTOGRAM_BUCKETS, type StatsStore } from './store.js';
import { extractTags } from './tags.js';

/** A stat as Prometheus names it: the tag-extracted name with `envoy_` before it, tags as labels (dots as `_`). */
function prometheusTags(statName: string): { name: string; tags: [string, string][] } {
  const tagged = extractTags(statName);
  return { name: `envoy_${tagged.name.replace(/[^a-zA-Z0-9_]/g, '_')}`, tags: tagged.tags.map(([tag, value]) => [tag.replace(/\./g, '_'), value]) };
}


function labels(tags: readonly [string, string][], extra?: [string, string]): string {
  const all = extra ? [...tags, extra] : tags;
  return `{${all.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

/** `/stats/prometheus`: the text exposition format, metric families sorted by name. */
export function renderPrometheus(store: StatsStore, usedOnly = false): string {
  store.refresh();
  const families = new Map<string, { type: string; lines: string[] }>();
  const add = (metric: string, type: string, line: string) => {
    let family = families.get(metric);
    if (!family) families.set(metric, (family = { type, lines: [] }));
    family.lines.push(line);
  };
  for (const c of store.counters.values()) {
    if (usedOnly && c.value === 0) continue;
    const t = prometheusTags(c.name);
    add(t.name, 'counter', `${t.name}${labels(t.tags)} ${c.value}`);
  }
  for (const g of store.gauges.values()) {
    if (usedOnly && !g.used) continue;
    const t = prometheusTags(g.name);
    add(t.name, 'gauge', `${t.name}${labels(t.tags)} ${g.value}`);
  }
  for (const h of store.histograms.values()) {
    if (usedOnly && h.count === 0) continue;
    const t = prometheusTags(h.name);
    let cumulative = 0;
    DEFAULT_HISTOGRAM_BUCKETS.forEach((bound, i) => {
      cumulative += h.bucketCounts[i] ?? 0;
      add(t.name, 'histogram', `${t.name}_bucket${labels(t.tags, ['le', String(bound)])} ${cumulative}`);
    });
    add(t.name, 'histogram', `${t.name}_bucket${labels(t.tags, ['le', '+Inf'])} ${h.count}`);
    add(t.name, 'histogram', `${t.name}_sum${labels(t.tags)} ${h.sum}`);
    add(t.name, 'histogram', `${t.name}_count${labels(t.tags)} ${h.count}`);
  }
  const out: string[] = [];
  for (const [metric, family] of [...families].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push(`# TYPE ${metric} ${family.type}`);
    out.push(...(family.type === 'histogram' ? family.lines : family.lines.sort()));
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
