import type { LoadBalancer } from './load-balancing-policy.js';
import type { Host } from './types.js';

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

/** The least loaded of `choiceCount` random picks (two by default: Envoy's power of two choices on active requests). */
export class LeastRequestLoadBalancer implements LoadBalancer {
  constructor(private readonly choiceCount = 2) {}

  pick(hosts: readonly Host[]): Host {
    let best = pickWeighted(hosts);
    for (let i = 1; i < this.choiceCount; i++) {
      const other = pickWeighted(hosts);
      if (other.stats.rq_active < best.stats.rq_active) best = other;
    }
    return best;
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
