import { createStatsSet, type StatsScope } from '../../stats/store.js';

/** `cluster.<name>.outlier_detection.*`, Envoy's names (the deprecated ones too: dashboards read them). */
export function createOutlierStats(clusterScope: StatsScope) {
  return createStatsSet(clusterScope.scope('outlier_detection'), {
    counters: [
      'ejections_enforced_total',
      'ejections_overflow',
      'ejections_enforced_consecutive_5xx',
      'ejections_detected_consecutive_5xx',
      'ejections_enforced_success_rate',
      'ejections_detected_success_rate',
      'ejections_enforced_consecutive_gateway_failure',
      'ejections_detected_consecutive_gateway_failure',
      'ejections_enforced_consecutive_local_origin_failure',
      'ejections_detected_consecutive_local_origin_failure',
      'ejections_enforced_local_origin_success_rate',
      'ejections_detected_local_origin_success_rate',
      'ejections_enforced_failure_percentage',
      'ejections_detected_failure_percentage',
      'ejections_enforced_local_origin_failure_percentage',
      'ejections_detected_local_origin_failure_percentage',
      'ejections_total',
      'ejections_consecutive_5xx',
      'ejections_success_rate',
    ] as const,
    gauges: ['ejections_active'] as const,
  });
}
export type OutlierStats = ReturnType<typeof createOutlierStats>;

/** Every way a host is ejected, as Envoy's `OutlierEjectionType`. */
export type EjectionType =
  | 'CONSECUTIVE_5XX'
  | 'CONSECUTIVE_GATEWAY_FAILURE'
  | 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE'
  | 'SUCCESS_RATE'
  | 'SUCCESS_RATE_LOCAL_ORIGIN'
  | 'FAILURE_PERCENTAGE'
  | 'FAILURE_PERCENTAGE_LOCAL_ORIGIN';

/** The `ejections_detected_*` / `ejections_enforced_*` suffix of each type. */
export const EJECTION_STAT: Record<EjectionType, string> = {
  CONSECUTIVE_5XX: 'consecutive_5xx',
  CONSECUTIVE_GATEWAY_FAILURE: 'consecutive_gateway_failure',
  CONSECUTIVE_LOCAL_ORIGIN_FAILURE: 'consecutive_local_origin_failure',
  SUCCESS_RATE: 'success_rate',
  SUCCESS_RATE_LOCAL_ORIGIN: 'local_origin_success_rate',
  FAILURE_PERCENTAGE: 'failure_percentage',
  FAILURE_PERCENTAGE_LOCAL_ORIGIN: 'local_origin_failure_percentage',
};
