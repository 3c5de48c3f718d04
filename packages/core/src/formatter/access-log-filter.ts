import type { AccessLogFilterConfig, ComparisonConfig } from '../config/envoy/access-log-filter.js';
import { sampled } from '../config/envoy/fractional-percent.js';
import type { Runtime } from '../runtime/runtime.js';
import type { FormatContext } from './substitution-format.js';

/** Whether an access log entry is written. */
export type AccessLogPredicate = (context: FormatContext) => boolean;

/** Envoy's `AccessLogFilter`, compiled once per logger. Runtime keys are read as each entry is judged. */
export function compileAccessLogFilter(config: AccessLogFilterConfig, runtime: Runtime): AccessLogPredicate {
  if (config.status_code_filter) return compare(config.status_code_filter.comparison, runtime, (c) => c.outcome?.responseCode ?? 0);
  if (config.duration_filter) return compare(config.duration_filter.comparison, runtime, (c) => Math.floor(c.outcome?.durationMs ?? 0));
  // A request the health check filter took for a health check is not logged.
  if (config.not_health_check_filter) return (c) => c.info?.healthCheck !== true;
  // The requests the connection manager decided to trace.
  if (config.traceable_filter) return (c) => c.info?.traced === true;
  if (config.runtime_filter) {
    const { runtime_key, percent_sampled } = config.runtime_filter;
    return () => sampled(runtime, runtime_key, percent_sampled);
  }
  if (config.and_filter) {
    const all = config.and_filter.filters.map((f) => compileAccessLogFilter(f, runtime));
    return (c) => all.every((p) => p(c));
  }
  if (config.or_filter) {
    const any = config.or_filter.filters.map((f) => compileAccessLogFilter(f, runtime));
    return (c) => any.some((p) => p(c));
  }
  if (config.response_flag_filter) {
    const wanted = config.response_flag_filter.flags ?? [];
    return (c) => {
      const set = (c.outcome?.responseFlags ?? '').split(',').filter((f) => f !== '');
      return wanted.length === 0 ? set.length > 0 : set.some((f) => wanted.includes(f));
    };
  }
  if (config.log_type_filter) {
    const types: readonly string[] = config.log_type_filter.types ?? [];
    const exclude = config.log_type_filter.exclude ?? false;
    return (c) => types.includes(c.accessLogType ?? 'NotSet') !== exclude;
  }
  return () => true;
}

function compare(comparison: ComparisonConfig, runtime: Runtime, actual: (c: FormatContext) => number): AccessLogPredicate {
  const { runtime_key, default_value } = comparison.value;
  return (c) => {
    const value = runtime.getInteger(runtime_key, default_value ?? 0);
    const seen = actual(c);
    switch (comparison.op ?? 'EQ') {
      case 'GE':
        return seen >= value;
      case 'LE':
        return seen <= value;
      case 'NE':
        return seen !== value;
      default:
        return seen === value;
    }
  };
}
