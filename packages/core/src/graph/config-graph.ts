import type { ClusterConfig } from '../config/envoy/cluster.js';
import type { FilterChainConfig, ListenerConfig } from '../config/envoy/listener.js';
import type { ListenerForm } from '../listener/listener-validation.js';
import type { ClusterReference, NetworkFilterFactory } from '../registry/types.js';

/** A network filter of a listener and the clusters it can send to. */
export interface GraphFilter {
  readonly name: string;
  readonly routes: readonly ClusterReference[];
}

export interface GraphListener {
  readonly name: string;
  /** `127.0.0.1:10000`, or for internal listeners the name other listeners reach it by. */
  readonly address: string;
  /** Set for internal listeners: the key `server_listener_name` looks up. */
  readonly internalName?: string;
  readonly filters: readonly GraphFilter[];
  readonly config: ListenerConfig;
}

export interface GraphEndpoint {
  readonly address: string;
  /** `envoy_internal_address.server_listener_name`, for endpoints that are internal listeners. */
  readonly internalListener?: string;
}

export interface GraphCluster {
  readonly name: string;
  readonly type: string;
  readonly endpoints: readonly GraphEndpoint[];
}

/** An internal endpoint whose `server_listener_name` no listener of the config declares. */
export interface DanglingEndpoint {
  readonly cluster: string;
  readonly listener: string;
}

/** A listener as the listener manager built it. */
export interface GraphListenerSource {
  readonly name: string;
  readonly form: ListenerForm;
  readonly config: ListenerConfig;
}

/**
 * The chain a config builds: listeners, the clusters their filters send to, and the internal
 * listeners those clusters' endpoints name. Drawn by `--mode validate --graph`; its cycles are
 * config errors (a connection would loop inside the process).
 */
export class ConfigGraph {
  readonly listeners: readonly GraphListener[];
  readonly clusters: readonly GraphCluster[];
  private readonly internalListeners = new Map<string, GraphListener>();
  private readonly clustersByName = new Map<string, GraphCluster>();

  constructor(listeners: readonly GraphListenerSource[], clusters: readonly ClusterConfig[]) {
    this.listeners = listeners.map(toGraphListener);
    this.clusters = clusters.map(toGraphCluster);
    for (const listener of this.listeners) if (listener.internalName !== undefined) this.internalListeners.set(listener.internalName, listener);
    for (const cluster of this.clusters) this.clustersByName.set(cluster.name, cluster);
  }

  internalListener(name: string): GraphListener | undefined {
    return this.internalListeners.get(name);
  }

  cluster(name: string): GraphCluster | undefined {
    return this.clustersByName.get(name);
  }

  /** The clusters a listener's filters can send to, each once, in config order. */
  clustersOf(listener: GraphListener): string[] {
    return [...new Set(listener.filters.flatMap((filter) => filter.routes.map((route) => route.cluster)))];
  }

  /** The internal listeners a cluster's endpoints lead to, each once. */
  listenersOf(cluster: GraphCluster): GraphListener[] {
    const names = new Set(cluster.endpoints.flatMap((endpoint) => (endpoint.internalListener !== undefined ? [endpoint.internalListener] : [])));
    return [...names].flatMap((name) => this.internalListeners.get(name) ?? []);
  }

  dangling(): DanglingEndpoint[] {
    const out: DanglingEndpoint[] = [];
    for (const cluster of this.clusters) {
      for (const endpoint of cluster.endpoints) {
        const target = endpoint.internalListener;
        if (target !== undefined && !this.internalListeners.has(target) && !out.some((d) => d.cluster === cluster.name && d.listener === target)) {
          out.push({ cluster: cluster.name, listener: target });
        }
      }
    }
    return out;
  }

  /**
   * A loop of internal hops (listener, the cluster it sends to, the listener that cluster's
   * endpoint names... back to the first), or undefined. Only internal listeners can be
   * re-entered, so a cycle always runs through them.
   */
  findCycle(): CycleHop[] | undefined {
    const done = new Set<GraphListener>();
    const path: { listener: GraphListener; cluster: string }[] = [];
    const visit = (listener: GraphListener): CycleHop[] | undefined => {
      const start = path.findIndex((hop) => hop.listener === listener);
      if (start >= 0) return path.slice(start).map((hop) => ({ ...hop }));
      if (done.has(listener)) return undefined;
      const hop = { listener, cluster: '' };
      path.push(hop);
      for (const clusterName of this.clustersOf(listener)) {
        hop.cluster = clusterName;
        const cluster = this.clustersByName.get(clusterName);
        for (const next of cluster ? this.listenersOf(cluster) : []) {
          const cycle = visit(next);
          if (cycle) return cycle;
        }
      }
      path.pop();
      done.add(listener);
      return undefined;
    };
    for (const listener of this.listeners) {
      const cycle = visit(listener);
      if (cycle) return cycle;
    }
    return undefined;
  }
}

/** One hop of a cycle: a listener and the cluster through which it reaches the next one. */
export interface CycleHop {
  readonly listener: GraphListener;
  readonly cluster: string;
}

/** `listener 'a' -> cluster 'b' -> internal listener 'a'`. */
export function describeCycle(cycle: readonly CycleHop[]): string {
  const first = cycle[0]?.listener;
  const hops = cycle.map((hop) => `internal listener '${hop.listener.name}' -> cluster '${hop.cluster}'`);
  return [...hops, `internal listener '${first?.name ?? ''}'`].join(' -> ');
}

function toGraphListener(source: GraphListenerSource): GraphListener {
  const { form, config } = source;
  const chains: FilterChainConfig[] = [...(config.filter_chains ?? []), ...(config.default_filter_chain ? [config.default_filter_chain] : [])];
  const filters = chains.flatMap((chain) =>
    (chain.filters ?? []).map((entry): GraphFilter => {
      const factory = entry.typed.target as NetworkFilterFactory;
      return { name: factory.name, routes: factory.clusterReferences?.(entry.typed.config) ?? [] };
    }),
  );
  if (form.kind === 'internal') return { name: source.name, address: `envoy://${form.key}`, internalName: form.key, filters, config };
  const host = form.ip.includes(':') ? `[${form.ip}]` : form.ip;
  return { name: source.name, address: `${host}:${form.port}`, filters, config };
}

function toGraphCluster(config: ClusterConfig): GraphCluster {
  const endpoints = (config.load_assignment?.endpoints ?? []).flatMap((locality) =>
    (locality.lb_endpoints ?? []).flatMap((lb): GraphEndpoint[] => {
      const address = lb.endpoint?.address;
      if (address?.envoy_internal_address) {
        const { server_listener_name: name, endpoint_id: id } = address.envoy_internal_address;
        return [{ address: `envoy://${name}/${id ?? ''}`, internalListener: name }];
      }
      if (address?.socket_address) return [{ address: `${address.socket_address.address}:${address.socket_address.port_value ?? 0}` }];
      return [];
    }),
  );
  return { name: config.name, type: config.type ?? 'STATIC', endpoints };
}
