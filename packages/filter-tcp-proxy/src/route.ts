import type { ClusterReference } from '@nodevoy/core';
import type { TcpProxyConfig } from './config.js';

/**
 * Picks the upstream cluster for one connection attempt: `cluster`, or a weighted random
 * choice among `weighted_clusters` (drawn again on every attempt, as Envoy does).
 */
export function createClusterPicker(config: TcpProxyConfig, random: () => number = Math.random): () => string {
  if (config.cluster !== undefined) {
    const name = config.cluster;
    return () => name;
  }
  const clusters = config.weighted_clusters?.clusters ?? [];
  const total = clusters.reduce((sum, c) => sum + c.weight, 0);
  return () => {
    let r = random() * total;
    for (const c of clusters) {
      r -= c.weight;
      if (r < 0) return c.name;
    }
    return clusters[clusters.length - 1]?.name ?? '';
  };
}

/** Every cluster name the config can route to. */
export function routedClusters(config: TcpProxyConfig): string[] {
  return config.cluster !== undefined ? [config.cluster] : (config.weighted_clusters?.clusters ?? []).map((c) => c.name);
}

/** What the config graph shows: each cluster and how a connection gets there. */
export function clusterReferences(config: TcpProxyConfig): ClusterReference[] {
  const tunnel = config.tunneling_config;
  const how = tunnel ? (tunnel.use_post ? `POST tunnel ${tunnel.post_path || '/'} to ${tunnel.hostname}` : `CONNECT tunnel to ${tunnel.hostname}`) : 'tcp_proxy';
  if (config.cluster !== undefined) return [{ cluster: config.cluster, via: how }];
  const clusters = config.weighted_clusters?.clusters ?? [];
  const total = clusters.reduce((sum, c) => sum + c.weight, 0);
  return clusters.map((c) => ({ cluster: c.name, via: `${how}, weight ${c.weight}/${total}` }));
}
