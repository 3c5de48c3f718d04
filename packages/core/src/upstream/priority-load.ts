import { isHealthy } from './host.js';
import type { Host } from './types.js';

/** One priority level's part of the traffic, and the hosts that part goes to. */
export interface PriorityShare {
  /** Percent of requests (0..100); the shares add up to 100. */
  readonly load: number;
  /** Its healthy hosts, or all of them when the level is in panic. */
  readonly hosts: readonly Host[];
  readonly panic: boolean;
}

/** Envoy's default `overprovisioning_factor`: a level takes all traffic until under 1/1.4 of its hosts are healthy. */
export const DEFAULT_OVERPROVISIONING_FACTOR = 140;

/**
 * Envoy's priority load (`recalculatePerPriorityState`): each level's health is its healthy
 * share times the overprovisioning factor, capped at 100; traffic goes to the levels in order,
 * each taking its health (scaled so the total is 100) until none is left; a level that has lost
 * too many hosts (under `panicThreshold`% healthy) balances over all of them, but only when the
 * levels together cannot carry the traffic. With no healthy host anywhere, level 0 takes all, in
 * panic.
 */
export function priorityShares(hosts: readonly Host[], overprovisioningFactor: number, panicThreshold: number): PriorityShare[] {
  const levels: Host[][] = [];
  for (const host of hosts) (levels[host.priority] ??= []).push(host);
  const present = levels.map((level) => level ?? []);
  if (present.length === 0) return [];
  const healthy = present.map((level) => level.filter(isHealthy));
  const health = present.map((level, i) => (level.length === 0 ? 0 : Math.min(100, Math.floor((overprovisioningFactor * (healthy[i] as Host[]).length) / level.length))));
  const total = Math.min(100, health.reduce((sum, h) => sum + h, 0));
  const panicAt = (i: number) => {
    const level = present[i] as Host[];
    return level.length > 0 && ((healthy[i] as Host[]).length * 100) / level.length < panicThreshold;
  };
  if (total === 0) {
    return present.map((level, i) => ({ load: i === 0 ? 100 : 0, hosts: level, panic: i === 0 && level.length > 0 }));
  }
  const loads = health.map(() => 0);
  let left = 100;
  let first: number | undefined;
  health.forEach((h, i) => {
    const load = Math.min(left, Math.floor((h * 100) / total));
    loads[i] = load;
    left -= load;
    if (load > 0 && first === undefined) first = i;
  });
  // Rounding leaves a little: it goes to the first level that takes traffic, as in Envoy.
  if (left > 0 && first !== undefined) loads[first] = (loads[first] as number) + left;
  return present.map((level, i) => {
    const panic = total < 100 && panicAt(i);
    return { load: loads[i] as number, hosts: panic ? level : (healthy[i] as Host[]), panic };
  });
}
