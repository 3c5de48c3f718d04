import {
  Category,
  createStatsSet,
  extensionPackage,
  parseProxyProtocol,
  schema,
  type FilterStatus,
  type ListenerFilter,
  type ListenerFilterCallbacks,
  type ListenerFilterFactory,
  type MessageValue,
  type NodevoyExtension,
  type StatsScope,
} from '@nodevoy/core';

const NAMESPACE = 'envoy.filters.listener.proxy_protocol';
/** v2's largest header: 16 fixed bytes and a 16-bit length. */
const MAX_HEADER = 16 + 65535;

const keyValuePairSchema = schema.message('envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol.KeyValuePair', {
  metadata_namespace: schema.string(),
  key: schema.required(schema.string({ minLen: 1 })),
});

const proxyProtocolSchema = schema.message(
  'envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol',
  {
    rules: schema.repeated(
      schema.message('envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol.Rule', {
        tlv_type: schema.uint32({ lt: 256 }),
        on_tlv_present: keyValuePairSchema,
      }),
    ),
    allow_requests_without_proxy_protocol: schema.bool(),
    disallowed_versions: schema.repeated(schema.enumOf('envoy.config.core.v3.ProxyProtocolConfig.Version', ['V1', 'V2'] as const)),
    stat_prefix: schema.string(),
  },
  { unsupported: { pass_through_tlvs: 'passing TLVs on as filter state is not implemented by nodevoy yet' } },
);
type ProxyProtocolConfig = MessageValue<typeof proxyProtocolSchema.fields>;

/** Envoy's stats: `proxy_proto.[<stat_prefix>.]*`, and the older `downstream_cx_proxy_proto_error` at the root. */
function createProxyProtocolStats(root: StatsScope, statPrefix: string | undefined) {
  const scope = root.scope(statPrefix ? `proxy_proto.${statPrefix}.` : 'proxy_proto.');
  const version = (v: 'v1' | 'v2') => createStatsSet(scope.scope(`versions.${v}.`), { counters: ['found', 'disallowed', 'error'] as const });
  return {
    ...createStatsSet(scope, { counters: ['not_found_allowed', 'not_found_disallowed'] as const }),
    v1: version('v1'),
    v2: version('v2'),
    legacyError: root.counter('downstream_cx_proxy_proto_error'),
  };
}
type ProxyProtocolStats = ReturnType<typeof createProxyProtocolStats>;

/**
 * `envoy.filters.listener.proxy_protocol`: reads the PROXY header (v1 or v2) a proxy in front
 * sent, takes its addresses as the connection's (the client's as the remote one, the address
 * it connected to as the local one) and its configured TLVs as dynamic metadata, and removes
 * the header from the stream. No header: the connection is closed, unless
 * `allow_requests_without_proxy_protocol`.
 */
class ProxyProtocolFilter implements ListenerFilter {
  readonly maxReadBytes = MAX_HEADER;
  private callbacks!: ListenerFilterCallbacks;

  constructor(
    private readonly config: ProxyProtocolConfig,
    private readonly stats: ProxyProtocolStats,
  ) {}

  onAccept(callbacks: ListenerFilterCallbacks): FilterStatus {
    this.callbacks = callbacks;
    return 'stop';
  }

  onData(data: Buffer): FilterStatus {
    const parsed = parseProxyProtocol(data);
    const { stats } = this;
    if (parsed.kind === 'incomplete') return 'stop';
    if (parsed.kind === 'absent') {
      if (this.config.allow_requests_without_proxy_protocol) {
        stats.not_found_allowed.inc();
        return 'continue';
      }
      stats.not_found_disallowed.inc();
      return this.refuse();
    }
    const versionStats = parsed.kind === 'error' ? (parsed.version === 1 ? stats.v1 : stats.v2) : parsed.header.version === 1 ? stats.v1 : stats.v2;
    if (parsed.kind === 'error') {
      versionStats.error.inc();
      return this.refuse();
    }
    const { header } = parsed;
    if (this.config.disallowed_versions?.includes(header.version === 1 ? 'V1' : 'V2')) {
      versionStats.disallowed.inc();
      return this.refuse();
    }
    versionStats.found.inc();
    this.callbacks.drainPeeked(header.length);
    if (header.command === 'PROXY' && header.source && header.destination) {
      this.callbacks.setRemoteAddress(header.source);
      this.callbacks.restoreLocalAddress(header.destination);
    }
    for (const rule of this.config.rules ?? []) {
      const tlv = header.tlvs.find((candidate) => candidate.type === (rule.tlv_type ?? 0));
      if (tlv && rule.on_tlv_present) {
        this.callbacks.info.setDynamicMetadata(rule.on_tlv_present.metadata_namespace || NAMESPACE, { [rule.on_tlv_present.key]: tlv.value.toString('latin1') });
      }
    }
    return 'continue';
  }

  private refuse(): FilterStatus {
    this.stats.legacyError.inc();
    this.callbacks.continueFilterChain(false);
    return 'stop';
  }
}

export const proxyProtocolFilter: ListenerFilterFactory<ProxyProtocolConfig> = {
  name: 'envoy.filters.listener.proxy_protocol',
  category: Category.listenerFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol'],
  configSchema: proxyProtocolSchema,
  createListenerFilterFactory(config, context) {
    const stats = createProxyProtocolStats(context.server.stats.scope(''), config.stat_prefix || undefined);
    return () => new ProxyProtocolFilter(config, stats);
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(proxyProtocolFilter);
  },
};
