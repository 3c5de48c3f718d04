import { createStatsSet, type StatsStore } from '../stats/store.js';

/** `server.*`, with Envoy's names. Memory gauges read Node's heap and RSS. */
export function createServerStats(store: StatsStore) {
  const stats = createStatsSet(store.scope('server'), {
    counters: ['debug_assertion_failures', 'envoy_bug_failures', 'static_unknown_fields', 'dynamic_unknown_fields', 'dropped_stat_flushes'] as const,
    gauges: [
      'live',
      'state',
      'uptime',
      'concurrency',
      'memory_allocated',
      'memory_heap_size',
      'memory_physical_size',
      'total_connections',
      'parent_connections',
      'hot_restart_epoch',
      'days_until_first_cert_expiring',
    ] as const,
    histograms: ['initialization_time_ms'] as const,
  });
  stats.concurrency.set(1);
  stats.state.set(2);
  stats.days_until_first_cert_expiring.set(4294967295);
  return stats;
}

export type ServerStats = ReturnType<typeof createServerStats>;
