import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const { message, uint32, bool, duration } = schema;

const percent = () => uint32({ lte: 100 });

export const outlierDetectionSchema = message(
  'envoy.config.cluster.v3.OutlierDetection',
  {
    consecutive_5xx: uint32(),
    interval: duration({ gtMs: 0 }),
    base_ejection_time: duration({ gtMs: 0 }),
    max_ejection_percent: percent(),
    enforcing_consecutive_5xx: percent(),
    enforcing_success_rate: percent(),
    success_rate_minimum_hosts: uint32(),
    success_rate_request_volume: uint32(),
    success_rate_stdev_factor: uint32(),
    consecutive_gateway_failure: uint32(),
    enforcing_consecutive_gateway_failure: percent(),
    split_external_local_origin_errors: bool(),
    consecutive_local_origin_failure: uint32(),
    enforcing_consecutive_local_origin_failure: percent(),
    enforcing_local_origin_success_rate: percent(),
    failure_percentage_threshold: percent(),
    enforcing_failure_percentage: percent(),
    enforcing_failure_percentage_local_origin: percent(),
    failure_percentage_minimum_hosts: uint32(),
    failure_percentage_request_volume: uint32(),
    max_ejection_time: duration({ gtMs: 0 }),
    max_ejection_time_jitter: duration(),
    successful_active_health_check_uneject_host: bool(),
    always_eject_one_host: bool(),
  },
  {
    unsupported: { monitors: 'outlier detection monitor extensions are not implemented by nodevoy yet' },
    // Degraded hosts come from active health checks in nodevoy; this detector flag has no effect (as in Envoy, where it is deprecated).
    ignored: ['detect_degraded_hosts'],
    check: (config, report) => {
      const base = config.base_ejection_time ?? 30_000;
      if (config.max_ejection_time !== undefined && config.max_ejection_time < base) {
        report('max_ejection_time', "outlier detector's max_ejection_time cannot be smaller than base_ejection_time");
      }
    },
  },
);
export type OutlierDetectionConfig = MessageValue<typeof outlierDetectionSchema.fields>;
