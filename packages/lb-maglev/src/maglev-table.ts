import { hostHashKey, normalizedWeights, xxHash64, type Host } from '@nodevoy/core';

interface BuildEntry {
  readonly host: Host;
  readonly offset: number;
  readonly skip: number;
  readonly weight: number;
  targetWeight: number;
  next: number;
  count: number;
}

/**
 * A Maglev lookup table as Envoy's `OriginalMaglevTable` fills it: hosts in the order of their
 * hash keys take turns (a host of half the heaviest weight every other turn) claiming the next
 * free slot of their own permutation (offset and skip from XXH64 of the key, seeds 0 and 1),
 * until every slot has a host. A request goes to the slot of its hash modulo the table size.
 */
export class MaglevTable {
  private readonly table: Host[];
  readonly minEntriesPerHost: number;
  readonly maxEntriesPerHost: number;

  constructor(
    hosts: readonly Host[],
    private readonly tableSize: number,
    useHostname: boolean,
  ) {
    const { weights, max } = normalizedWeights(hosts);
    const size = BigInt(tableSize);
    const entries: BuildEntry[] = hosts
      .map((host, i) => ({ key: hostHashKey(host, useHostname), host, weight: weights[i] as number }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ key, host, weight }) => ({
        host,
        offset: Number(xxHash64(key) % size),
        skip: Number(xxHash64(key, 1n) % (size - 1n)) + 1,
        weight,
        targetWeight: 0,
        next: 0,
        count: 0,
      }));
    const table = new Array<Host | undefined>(tableSize);
    let filled = 0;
    for (let iteration = 1; filled < tableSize && entries.length > 0; iteration++) {
      for (let i = 0; i < entries.length && filled < tableSize; i++) {
        const entry = entries[i] as BuildEntry;
        if (iteration * entry.weight < entry.targetWeight) continue;
        entry.targetWeight += max;
        let slot = this.permutation(entry);
        while (table[slot] !== undefined) {
          entry.next++;
          slot = this.permutation(entry);
        }
        table[slot] = entry.host;
        entry.next++;
        entry.count++;
        filled++;
      }
    }
    this.table = table as Host[];
    this.minEntriesPerHost = entries.reduce((m, e) => Math.min(m, e.count), tableSize);
    this.maxEntriesPerHost = entries.reduce((m, e) => Math.max(m, e.count), 0);
  }

  choose(hash: bigint): Host | undefined {
    return this.table[Number(hash % BigInt(this.tableSize))];
  }

  private permutation(entry: BuildEntry): number {
    return (entry.offset + entry.skip * entry.next) % this.tableSize;
  }
}
