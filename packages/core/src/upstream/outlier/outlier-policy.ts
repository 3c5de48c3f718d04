import type { OutlierDetectionConfig } from '../../config/envoy/outlier-detection.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { EjectionType } from './outlier-stats.js';

/**
 * An `outlier_detection` config with Envoy's defaults, each value overridable at run time by
 * its `outlier_detection.*` runtime key, as Envoy reads them at every use.
 */
export class OutlierPolicy {
  constructor(
    private readonly config: OutlierDetectionConfig,
    private readonly runtime: Runtime,
  ) {}

  private value(key: string, configured: number | undefined, fallback: number): number {
    return this.runtime.getInteger(`outlier_detection.${key}`, configured ?? fallback);
  }

  get intervalMs(): number {
    return this.value('interval_ms', this.config.interval, 10_000);
  }
  get baseEjectionTimeMs(): number {
    return this.value('base_ejection_time_ms', this.config.base_ejection_time, 30_000);
  }
  get maxEjectionTimeMs(): number {
    return this.value('max_ejection_time_ms', this.config.max_ejection_time, Math.max(300_000, this.config.base_ejection_time ?? 30_000));
  }
  get maxEjectionTimeJitterMs(): number {
    return this.value('max_ejection_time_jitter_ms', this.config.max_ejection_time_jitter, 0);
  }
  get maxEjectionPercent(): number {
    return Math.min(100, this.value('max_ejection_percent', this.config.max_ejection_percent, 10));
  }
  get alwaysEjectOneHost(): boolean {
    return this.config.always_eject_one_host ?? false;
  }
  get splitExternalLocalOriginErrors(): boolean {
    return this.config.split_external_local_origin_errors ?? false;
  }
  get unejectOnActiveHealthCheck(): boolean {
    return this.config.successful_active_health_check_uneject_host ?? true;
  }
  get successRate() {
    return {
      minimumHosts: this.value('success_rate_minimum_hosts', this.config.success_rate_minimum_hosts, 5),
      requestVolume: this.value('success_rate_request_volume', this.config.success_rate_request_volume, 100),
      stdevFactor: this.value('success_rate_stdev_factor', this.config.success_rate_stdev_factor, 1900) / 1000,
    };
  }
  get failurePercentage() {
    return {
      threshold: this.value('failure_percentage_threshold', this.config.failure_percentage_threshold, 85),
      minimumHosts: this.value('failure_percentage_minimum_hosts', this.config.failure_percentage_minimum_hosts, 5),
      requestVolume: this.value('failure_percentage_request_volume', this.config.failure_percentage_request_volume, 50),
    };
  }

  consecutiveThreshold(type: 'CONSECUTIVE_5XX' | 'CONSECUTIVE_GATEWAY_FAILURE' | 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE'): number {
    switch (type) {
      case 'CONSECUTIVE_5XX':
        return this.value('consecutive_5xx', this.config.consecutive_5xx, 5);
      case 'CONSECUTIVE_GATEWAY_FAILURE':
        return this.value('consecutive_gateway_failure', this.config.consecutive_gateway_failure, 5);
      default:
        return this.value('consecutive_local_origin_failure', this.config.consecutive_local_origin_failure, 5);
    }
  }

  /** Whether an ejection of this kind is enforced this time (`enforcing_*` is a percentage chance). */
  enforced(type: EjectionType): boolean {
    const [key, configured, fallback] = this.enforcing(type);
    const percent = this.value(key, configured, fallback);
    return percent >= 100 || (percent > 0 && Math.random() * 100 < percent);
  }

  private enforcing(type: EjectionType): [string, number | undefined, number] {
    const c = this.config;
    switch (type) {
      case 'CONSECUTIVE_5XX':
        return ['enforcing_consecutive_5xx', c.enforcing_consecutive_5xx, 100];
      case 'CONSECUTIVE_GATEWAY_FAILURE':
        return ['enforcing_consecutive_gateway_failure', c.enforcing_consecutive_gateway_failure, 0];
      case 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE':
        return ['enforcing_consecutive_local_origin_failure', c.enforcing_consecutive_local_origin_failure, 100];
      case 'SUCCESS_RATE':
        return ['enforcing_success_rate', c.enforcing_success_rate, 100];
      case 'SUCCESS_RATE_LOCAL_ORIGIN':
        return ['enforcing_local_origin_success_rate', c.enforcing_local_origin_success_rate, 100];
      case 'FAILURE_PERCENTAGE':
        return ['enforcing_failure_percentage', c.enforcing_failure_percentage, 0];
      case 'FAILURE_PERCENTAGE_LOCAL_ORIGIN':
        return ['enforcing_failure_percentage_local_origin', c.enforcing_failure_percentage_local_origin, 0];
    }
  }
}
