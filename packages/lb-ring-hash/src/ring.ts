import { hostHashKey, normalizedWeights, xxHash64, type Host } from '@nodevoy/core';

/**
 * A ketama ring as Envoy's `RingHashLoadBalancer::Ring` builds it: each host gets hashes of
 * `<key>_<i>` in proportion to its weight (the lightest host a whole number of them, at least
 * `minimum_ring_size` in all, at most `maximum_ring_size`), sorted; a request's hash goes to the
 * first entry at or after it, wrapping around.
 */
export class Ring {
  private readonly hashes: BigUint64Array;
  private readonly hosts: Host[];
  readonly size: number;
  readonly minHashesPerHost: number;
  readonly maxHashesPerHost: number;

  constructor(hosts: readonly Host[], minRingSize: number, maxRingSize: number, useHostname: boolean) {
    const { weights, min } = normalizedWeights(hosts);
    const scale = Math.min(Math.ceil(min * minRingSize) / min, maxRingSize);
    this.size = Math.ceil(scale);
    const entries: { hash: bigint; host: Host }[] = [];
    let current = 0;
    let target = 0;
    let minPerHost = this.size;
    let maxPerHost = 0;
    hosts.forEach((host, index) => {
      const prefix = `${hostHashKey(host, useHostname)}_`;
      target += scale * (weights[index] as number);
      let i = 0;
      while (current < target) {
        entries.push({ hash: xxHash64(`${prefix}${i}`), host });
        i++;
        current++;
      }
      minPerHost = Math.min(minPerHost, i);
      maxPerHost = Math.max(maxPerHost, i);
    });
    entries.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    this.hashes = BigUint64Array.from(entries.map((e) => e.hash));
    this.hosts = entries.map((e) => e.host);
    this.minHashesPerHost = minPerHost;
    this.maxHashesPerHost = maxPerHost;
  }

  /** The host for hash `h` (Envoy's port of ketama_get_server: the first entry whose hash is >= h). */
  choose(h: bigint): Host | undefined {
    const n = this.hashes.length;
    if (n === 0) return undefined;
    let low = 0;
    let high = n;
    let mid = 0;
    for (;;) {
      mid = Math.floor((low + high) / 2);
      if (mid === n) {
        mid = 0;
        break;
      }
      const midval = this.hashes[mid] as bigint;
      const below = mid === 0 ? 0n : (this.hashes[mid - 1] as bigint);
      if (h <= midval && h > below) break;
      if (midval < h) low = mid + 1;
      else high = mid - 1;
      if (low > high) {
        mid = 0;
        break;
      }
    }
    return this.hosts[mid];
  }
}
