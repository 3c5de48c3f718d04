import type { Host } from './types.js';

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'CLUSTER_PROVIDED';

/** Picks one host from a non-empty candidate list. */
export interface LoadBalancer {
  pick(hosts: readonly Host[]): Host;
}

/**
 * Weighted round robin. With equal weights it is plain rotation; with unequal weights it
 * interleaves smoothly (each host gets `weight / total` of picks, spread out), as Envoy's
 * EDF scheduler does.
 */
export class RoundRobinLoadBalancer implements LoadBalancer {
  // A random start, as Envoy: workers and restarts do not all begin with the first host.
  private next = Math.floor(Math.random() * 0x7fffffff);
  private readonly current = new WeakMap<Host, number>();

  pick(hosts: readonly Host[]): Host {
    const first = hosts[0] as Host;
    if (hosts.every((h) => h.weight === first.weight)) {
      this.next = (this.next + 1) % 0x7fffffff;
      return hosts[this.next % hosts.length] as Host;
    }
    let total = 0;
    let best = first;
    let bestScore = -Infinity;
    for (const host of hosts) {
      const score = (this.current.get(host) ?? 0) + host.weight;
      this.current.set(host, score);
      total += host.weight;
      if (score > bestScore) {
        best = host;
        bestScore = score;
      }
    }
    this.current.set(best, bestScore - total);
    return best;
  }
}

export class RandomLoadBalancer implements LoadBalancer {
  pick(hosts: readonly Host[]): Host {
    return pickWeighted(hosts);
  }
}

/** Power of two choices on active requests, as Envoy's LEAST_REQUEST default. */
export class LeastRequestLoadBalancer implements LoadBalancer {
  pick(hosts: readonly Host[]): Host {
    const a = pickWeighted(hosts);
    const b = pickWeighted(hosts);
    return b.stats.rq_active < a.stats.rq_active ? b : a;
  }
}

function pickWeighted(hosts: readonly Host[]): Host {
  let total = 0;
  for (const h of hosts) total += h.weight;
  let r = Math.random() * total;
  for (const h of hosts) {
    r -= h.weight;
    if (r < 0) return h;
  }
  return hosts[hosts.length - 1] as Host;
}

export function createLoadBalancer(policy: LbPolicy): LoadBalancer {
  switch (policy) {
    case 'RANDOM':
      return new RandomLoadBalancer();
    case 'LEAST_REQUEST':
      return new LeastRequestLoadBalancer();
    default:
      return new RoundRobinLoadBalancer();
  }
}
