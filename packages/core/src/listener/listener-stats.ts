import { createStatsSet, type StatsScope } from '../stats/store.js';
import type { WorkerContext } from '../server/worker.js';

/** `listener.<address or stat_prefix>.*`, with Envoy's names. */
export function createListenerStats(scope: StatsScope) {
  return createStatsSet(scope, {
    counters: [
      'downstream_cx_total',
      'downstream_cx_destroy',
      'downstream_cx_overflow',
      'downstream_cx_overload_reject',
      'downstream_cx_transport_socket_connect_timeout',
      'downstream_global_cx_overflow',
      'downstream_listener_filter_error',
      'downstream_listener_filter_remote_close',
      'downstream_pre_cx_timeout',
      'extension_config_missing',
      'network_extension_config_missing',
      'no_filter_chain_match',
    ] as const,
    gauges: ['downstream_cx_active', 'downstream_pre_cx_active'] as const,
    histograms: ['downstream_cx_length_ms', 'connections_accepted_per_socket_event'] as const,
  });
}

export type ListenerStats = ReturnType<typeof createListenerStats>;

/** `listener.<...>.worker_<N>.*`. */
export function createPerWorkerListenerStats(scope: StatsScope, worker: WorkerContext) {
  return createStatsSet(scope.scope(worker.name), {
    counters: ['downstream_cx_total'] as const,
    gauges: ['downstream_cx_active'] as const,
  });
}

export type PerWorkerListenerStats = ReturnType<typeof createPerWorkerListenerStats>;
