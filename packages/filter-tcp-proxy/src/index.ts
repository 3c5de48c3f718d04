import { Category, createAccessLoggers, extensionPackage, type NetworkFilterFactory, type NodevoyExtension } from '@nodevoy/core';
import { extension as http } from '@nodevoy/http';
import { tcpAccessLogConfig } from './access-log.js';
import { DEFAULT_IDLE_TIMEOUT_MS, tcpProxySchema, type TcpProxyConfig } from './config.js';
import { clusterReferences, createClusterPicker, routedClusters } from './route.js';
import { createTcpProxyStats } from './stats.js';
import { TcpProxyFilter, type TcpProxySharedConfig } from './tcp-proxy-filter.js';
import { TunnelOpener } from './tunneling.js';
import { tcpConnectionHash } from './hash-policy.js';

/** `envoy.filters.network.tcp_proxy`. */
export const tcpProxyFilter: NetworkFilterFactory<TcpProxyConfig> = {
  name: 'envoy.filters.network.tcp_proxy',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'],
  configSchema: tcpProxySchema,
  isTerminalFilter: true,
  clusterReferences,
  createFilterFactory(config, context) {
    const server = context.server;
    // Without CDS a cluster missing now is missing for ever: say so at load time. With CDS it may
    // come later, and a connection to it meanwhile is counted as Envoy counts it.
    const clustersMayArrive = server.bootstrap.dynamic_resources?.cds_config !== undefined;
    for (const name of clustersMayArrive ? [] : routedClusters(config)) {
      if (!server.clusterManager.hasCluster(name)) {
        const weighted = config.weighted_clusters?.clusters.find((c) => c.name === name);
        server.configIssue(weighted ?? config, weighted ? 'name' : 'cluster', `tcp_proxy: unknown cluster '${name}'`, 'define it in static_resources.clusters');
      }
    }
    const stats = createTcpProxyStats(server.stats.scope(`tcp.${config.stat_prefix}`));
    const sessions = new Set<TcpProxyFilter>();
    server.stats.addRefresher(() => {
      let tx = 0;
      let rx = 0;
      for (const session of sessions) {
        tx += session.downstreamConnection.pendingWriteBytes;
        rx += session.downstreamConnection.pendingReadBytes;
      }
      stats.downstream_cx_tx_bytes_buffered.set(tx);
      stats.downstream_cx_rx_bytes_buffered.set(rx);
    });
    const baseInterval = config.backoff_options?.base_interval;
    const shared: TcpProxySharedConfig = {
      stats,
      clusterManager: server.clusterManager,
      pickCluster: createClusterPicker(config),
      maxConnectAttempts: config.max_connect_attempts ?? 1,
      idleTimeoutMs: config.idle_timeout ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxDownstreamConnectionDurationMs: () => withJitter(config),
      backoff: baseInterval === undefined ? undefined : { baseMs: baseInterval, maxMs: config.backoff_options?.max_interval ?? baseInterval * 10 },
      tunnel: config.tunneling_config ? new TunnelOpener(config.tunneling_config, server) : undefined,
      log: server.log.child('filter'),
      sessions,
      accessLog: tcpAccessLogConfig(config, createAccessLoggers(config.access_log, server)),
      hash: tcpConnectionHash(config.hash_policy),
    };
    return (filterManager) => filterManager.addReadFilter(new TcpProxyFilter(shared));
  },
};

/** The connection's duration limit, jittered per connection as Envoy does. */
function withJitter(config: TcpProxyConfig): number | undefined {
  const base = config.max_downstream_connection_duration;
  if (base === undefined) return undefined;
  const percent = config.max_downstream_connection_duration_jitter_percentage?.value ?? 0;
  return base + Math.floor(Math.random() * Math.ceil((base * percent) / 100));
}

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.use(http);
    registry.add(tcpProxyFilter);
  },
};

export { tcpProxySchema, type TcpProxyConfig } from './config.js';
export { createTcpProxyStats, type TcpProxyStats } from './stats.js';
