interface TagRule {
  readonly tag: string;
  /** Group 1 is removed from the name; group 2 is the tag value. */
  readonly regex: RegExp;
}

const ADDRESS = String.raw`(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}_\d+|\[[_aAbBcCdDeEfF0-9]+\]_\d+|envoy_internal_[^.]+)`;
const WORD = '[^.]+';

/** Envoy's default tag extractors for the stats nodevoy emits, in Envoy's order. */
const RULES: readonly TagRule[] = [
  { tag: 'envoy.response_code', regex: /_rq(_(\d{3}))$/ },
  { tag: 'envoy.response_code_class', regex: /_rq_((\d))xx$/ },
  { tag: 'envoy.tcp_prefix', regex: new RegExp(`^tcp\\.((${WORD})\\.)`) },
  { tag: 'envoy.cluster_name', regex: new RegExp(`^cluster\\.((${WORD})\\.)`) },
  { tag: 'envoy.http_conn_manager_prefix', regex: new RegExp(`^listener\\..*?\\.http\\.((${WORD})\\.)`) },
  { tag: 'envoy.http_conn_manager_prefix', regex: new RegExp(`^http\\.((${WORD})\\.)`) },
  { tag: 'envoy.worker_id', regex: /^listener\..*?\.worker_((\d+)\.)/ },
  { tag: 'envoy.listener_address', regex: new RegExp(`^listener\\.((${ADDRESS})\\.)`) },
  { tag: 'envoy.virtual_host', regex: new RegExp(`^vhost\\.((${WORD})\\.)`) },
  { tag: 'envoy.worker_id', regex: /^listener_manager\.worker_((\d+)\.)/ },
  { tag: 'envoy.worker_id', regex: /^server\.worker_((\d+)\.)/ },
];

// The `d` flag gives group offsets, so exactly the captured group is cut from the name.
const TAG_RULES = RULES.map((rule) => ({ tag: rule.tag, regex: new RegExp(rule.regex.source, 'd') }));

export interface Tagged {
  readonly name: string;
  readonly tags: [string, string][];
}

/** Envoy's tag extraction: the name with each tag's part cut out, and the tags in extraction order. */
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
  return { name, tags };
}
