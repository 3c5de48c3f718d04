import type { Counter, StatsScope } from '@nodevoy/core';

/** Every counter Envoy 1.40's HTTP filter makes, so `/stats` lists the same names (most stay 0 in nodevoy). */
const HTTP_COUNTERS = [
  'ok',
  'denied',
  'error',
  'disabled',
  'failure_mode_allowed',
  'invalid',
  'ignored_dynamic_metadata',
  'filter_state_name_collision',
  'omitted_response_headers',
  'request_header_limits_reached',
  'response_header_limits_reached',
  'shadow_denied',
  'shadow_error',
] as const;

/**
 * `ext_authz.*` (or `ext_authz.<stat_prefix>.*`) in the connection manager's scope; the same
 * names count the decisions on the route's cluster too.
 */
export class ExtAuthzStats {
  readonly ok: Counter;
  readonly denied: Counter;
  readonly error: Counter;
  readonly disabled: Counter;
  readonly failure_mode_allowed: Counter;

  constructor(
    scope: StatsScope,
    statPrefix: string | undefined,
    /** `ext_authz.` or `ext_authz.<stat_prefix>.`. */
    readonly prefix = statPrefix ? `ext_authz.${statPrefix}.` : 'ext_authz.',
  ) {
    const counters = Object.fromEntries(HTTP_COUNTERS.map((name) => [name, scope.counter(`${prefix}${name}`)]));
    this.ok = counters.ok as Counter;
    this.denied = counters.denied as Counter;
    this.error = counters.error as Counter;
    this.disabled = counters.disabled as Counter;
    this.failure_mode_allowed = counters.failure_mode_allowed as Counter;
  }
}
