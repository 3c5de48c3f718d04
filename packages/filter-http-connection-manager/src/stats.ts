import { createStatsSet, type StatsScope } from '@nodevoy/core';

/** `http.<stat_prefix>.*`, with Envoy's names. */
export function createHcmStats(scope: StatsScope) {
  return createStatsSet(scope, {
    counters: [
      'downstream_cx_total',
      'downstream_cx_destroy',
      'downstream_cx_destroy_local',
      'downstream_cx_destroy_remote',
      'downstream_cx_http1_total',
      'downstream_cx_http2_total',
      'downstream_cx_ssl_total',
      'downstream_cx_protocol_error',
      'downstream_cx_idle_timeout',
      'downstream_cx_drain_close',
      'downstream_cx_max_duration_reached',
      'downstream_cx_upgrades_total',
      'downstream_cx_rx_bytes_total',
      'downstream_cx_tx_bytes_total',
      'downstream_rq_total',
      'downstream_rq_http1_total',
      'downstream_rq_http2_total',
      'downstream_rq_completed',
      'downstream_rq_1xx',
      'downstream_rq_2xx',
      'downstream_rq_3xx',
      'downstream_rq_4xx',
      'downstream_rq_5xx',
      'downstream_rq_rx_reset',
      'downstream_rq_tx_reset',
      'downstream_rq_ws_on_non_ws_route',
      'downstream_rq_response_before_rq_complete',
      'downstream_rq_timeout',
      'downstream_rq_idle_timeout',
      'downstream_rq_max_duration_reached',
      // nodevoy's own: a stream an HTTP filter's throw (or rejected promise) ended.
      'downstream_rq_filter_error',
      'dropped_headers_with_underscores',
      'requests_rejected_with_underscores_in_headers',
      'no_route',
      'no_cluster',
      'rq_direct_response',
      'rq_redirect',
      'rq_total',
    ] as const,
    gauges: ['downstream_cx_active', 'downstream_cx_http1_active', 'downstream_cx_http2_active', 'downstream_cx_ssl_active', 'downstream_cx_upgrades_active', 'downstream_rq_active'] as const,
    histograms: ['downstream_cx_length_ms', 'downstream_rq_time'] as const,
  });
}

export type HcmStats = ReturnType<typeof createHcmStats>;

/** `downstream_rq_2xx` and friends: the status class counter name. */
export function statusClass(status: number): 'downstream_rq_1xx' | 'downstream_rq_2xx' | 'downstream_rq_3xx' | 'downstream_rq_4xx' | 'downstream_rq_5xx' {
  const c = Math.min(5, Math.max(1, Math.floor(status / 100)));
  return `downstream_rq_${c}xx` as 'downstream_rq_2xx';
}
