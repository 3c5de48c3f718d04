import { createStatsSet, type StatsScope } from '@nodevoy/core';

/** `tcp.<stat_prefix>.*`, with Envoy's names. */
export function createTcpProxyStats(scope: StatsScope) {
  return createStatsSet(scope, {
    counters: [
      'downstream_cx_total',
      'downstream_cx_no_route',
      'downstream_cx_tx_bytes_total',
      'downstream_cx_rx_bytes_total',
      'downstream_cx_drain_close',
      'downstream_cx_overload_close',
      'downstream_flow_control_paused_reading_total',
      'downstream_flow_control_resumed_reading_total',
      'early_data_received_count_total',
      'idle_timeout',
      'max_downstream_connection_duration',
      'route_delayed_total',
      'upstream_flush_total',
    ] as const,
    gauges: ['downstream_cx_rx_bytes_buffered', 'downstream_cx_tx_bytes_buffered', 'upstream_flush_active'] as const,
  });
}

export type TcpProxyStats = ReturnType<typeof createTcpProxyStats>;
