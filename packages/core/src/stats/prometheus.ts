import { DEFAULT_HISTOGRAM_BUCKETS, type StatsStore } from './store.js';

interface TagRule {
  readonly tag: string;
  /** Group 1 is removed from the name; group 2 is the tag value. */
  readonly regex: RegExp;
}

const ADDRESS = String.raw`(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}_\d+|\[[_aAbBcCdDeEfF0-9]+\]_\d+|envoy_internal_[^.]+)`;
const WORD = '[^.]+';

/** Envoy's default tag extractors for the stats nodevoy emits, in Envoy's order. */
const RULES: readonly TagRule[] = [
  { tag: 'envoy_response_code', regex: /_rq(_(\d{3}))$/ },
  { tag: 'envoy_response_code_class', regex: /_rq_((\d))xx$/ },
  { tag: 'envoy_tcp_prefix', regex: new RegExp(`^tcp\\.((${WORD})\\.)`) },
  { tag: 'envoy_cluster_name', regex: new RegExp(`^cluster\\.((${WORD})\\.)`) },
  { tag: 'envoy_http_conn_manager_prefix', regex: new RegExp(`^listener\\..*?\\.http\\.((${WORD})\\.)`) },
  { tag: 'envoy_http_conn_manager_prefix', regex: new RegExp(`^http\\.((${WORD})\\.)`) },
  { tag: 'envoy_worker_id', regex: /^listener\..*?\.worker_((\d+)\.)/ },
  { tag: 'envoy_listener_address', regex: new RegExp(`^listener\\.((${ADDRESS})\\.)`) },
  { tag: 'envoy_virtual_host', regex: new RegExp(`^vhost\\.((${WORD})\\.)`) },
  { tag: 'envoy_worker_id', regex: /^listener_manager\.worker_((\d+)\.)/ },
  { tag: 'envoy_worker_id', regex: /^server\.worker_((\d+)\.)/ },
];

// The `d` flag gives group offsets, so exactly the captured group is cut from the name.
const TAG_RULES = RULES.map((rule) => ({ tag: rule.tag, regex: new RegExp(rule.regex.source, 'd') }));

interface Tagged {
  readonly name: string;
  readonly tags: [string, string][];
}

/** Splits a stat name into a Prometheus metric name and labels, as Envoy's tag extraction. */
export function extractTags(statName: string): Tagged {
  let name = statName;
  const tags: [string, string][] = [];
  for (const rule of TAG_RULES) {
    const m = rule.regex.exec(name);
    const removed = m?.indices?.[1];
    if (!m || !removed || m[2] === undefined) continue;
    tags.push([rule.tag, m[2]]);
    name = name.slice(0, removed[0]) + name.slice(removed[1]);
  }
  return { name: `envoy_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`, tags };
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
    const t = extractTags(c.name);
    add(t.name, 'counter', `${t.name}${labels(t.tags)} ${c.value}`);
  }
  for (const g of store.gauges.values()) {
    if (usedOnly && !g.used) continue;
    const t = extractTags(g.name);
    add(t.name, 'gauge', `${t.name}${labels(t.tags)} ${g.value}`);
  }
  for (const h of store.histograms.values()) {
    if (usedOnly && h.count === 0) continue;
    const t = extractTags(h.name);
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
