import {
  Category,
  createStatsSet,
  extensionPackage,
  schema,
  type FilterStatus,
  type ListenerFilter,
  type ListenerFilterCallbacks,
  type ListenerFilterFactory,
  type MessageValue,
  type NodevoyExtension,
} from '@nodevoy/core';
import { parseClientHello } from './client-hello.js';

/** Envoy reads at most this much of a ClientHello (TLS_MAX_CLIENT_HELLO). */
const MAX_CLIENT_HELLO = 64 * 1024;

const tlsInspectorSchema = schema.message('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {
  enable_ja3_fingerprinting: schema.bool(),
  initial_read_buffer_size: schema.uint32({ gt: 0, lte: MAX_CLIENT_HELLO }),
});
type TlsInspectorConfig = MessageValue<typeof tlsInspectorSchema.fields>;

type TlsInspectorStats = ReturnType<typeof createTlsInspectorStats>;

/** Envoy's stats, at the root as Envoy keeps them: `tls_inspector.*`. */
function createTlsInspectorStats(scope: Parameters<typeof createStatsSet>[0]) {
  return createStatsSet(scope, {
    counters: ['client_hello_too_large', 'tls_found', 'tls_not_found', 'alpn_found', 'alpn_not_found', 'sni_found', 'sni_not_found'] as const,
    histograms: ['bytes_processed'] as const,
  });
}

/**
 * `envoy.filters.listener.tls_inspector`: peeks at the ClientHello of a TLS connection and
 * records its SNI and ALPN (and transport protocol `tls`) for filter chain matching. A
 * connection that is not TLS goes on untouched; a ClientHello over 64 KiB closes it.
 */
class TlsInspector implements ListenerFilter {
  readonly maxReadBytes = MAX_CLIENT_HELLO;
  private callbacks!: ListenerFilterCallbacks;

  constructor(
    private readonly stats: TlsInspectorStats,
    private readonly ja3: boolean,
  ) {}

  onAccept(callbacks: ListenerFilterCallbacks): FilterStatus {
    this.callbacks = callbacks;
    return 'stop';
  }

  onData(data: Buffer): FilterStatus {
    const result = parseClientHello(data);
    const { stats } = this;
    if (result.kind === 'incomplete') {
      if (data.length < MAX_CLIENT_HELLO) return 'stop';
      stats.client_hello_too_large.inc();
      this.callbacks.continueFilterChain(false);
      return 'stop';
    }
    if (result.kind === 'not_tls') {
      stats.tls_not_found.inc();
      stats.bytes_processed.record(data.length);
      return 'continue';
    }
    const { hello } = result;
    const info = this.callbacks.info;
    stats.tls_found.inc();
    stats.bytes_processed.record(result.bytes);
    info.transportProtocol = 'tls';
    if (hello.serverName) {
      stats.sni_found.inc();
      info.requestedServerName = hello.serverName;
    } else {
      stats.sni_not_found.inc();
    }
    if (hello.alpn.length > 0) {
      stats.alpn_found.inc();
      info.applicationProtocols = hello.alpn;
    } else {
      stats.alpn_not_found.inc();
    }
    if (this.ja3) info.ja3Hash = hello.ja3;
    return 'continue';
  }
}

export const tlsInspectorFilter: ListenerFilterFactory<TlsInspectorConfig> = {
  name: 'envoy.filters.listener.tls_inspector',
  category: Category.listenerFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'],
  configSchema: tlsInspectorSchema,
  createListenerFilterFactory(config, context) {
    const stats = createTlsInspectorStats(context.server.stats.scope('tls_inspector.'));
    const ja3 = config.enable_ja3_fingerprinting ?? false;
    return () => new TlsInspector(stats, ja3);
  },
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(tlsInspectorFilter);
  },
};
