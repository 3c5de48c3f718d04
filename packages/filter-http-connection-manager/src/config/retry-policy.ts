import { schema, type MessageValue } from '@nodevoy/core';
import { headerMatcherSchema } from './matchers.js';

const { message, string, repeated, uint32, int64, duration, jsonValue, required } = schema;
const NOT_YET = 'not implemented by nodevoy yet';

/** The retry conditions of `retry_on` (and x-envoy-retry-on / x-envoy-retry-grpc-on) nodevoy knows, as Envoy's. */
export const RETRY_ON = [
  '5xx',
  'gateway-error',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'reset',
  'reset-before-request',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

const PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';
const PREVIOUS_HOSTS_TYPE = 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';

/** `envoy.config.route.v3.RetryPolicy`, on routes and virtual hosts. */
export const retryPolicySchema = message(
  'envoy.config.route.v3.RetryPolicy',
  {
    retry_on: string(),
    num_retries: uint32(),
    per_try_timeout: duration(),
    per_try_idle_timeout: duration(),
    retry_host_predicate: repeated(
      message(
        'envoy.config.route.v3.RetryPolicy.RetryHostPredicate',
        { name: required(string({ minLen: 1 })), typed_config: jsonValue() },
        {
          check(value, report) {
            const type = (value.typed_config as { '@type'?: unknown } | undefined)?.['@type'];
            if (type !== undefined ? type !== PREVIOUS_HOSTS_TYPE : value.name !== PREVIOUS_HOSTS) {
              report(undefined, `retry host predicate ${String(type ?? value.name)} is not implemented by nodevoy yet (${PREVIOUS_HOSTS} is)`);
            }
          },
        },
      ),
    ),
    host_selection_retry_max_attempts: int64({ gte: 0 }),
    retriable_status_codes: repeated(uint32()),
    retry_back_off: message('envoy.config.route.v3.RetryPolicy.RetryBackOff', { base_interval: required(duration({ gtMs: 0 })), max_interval: duration({ gtMs: 0 }) }, {
      check(value, report) {
        if (value.max_interval !== undefined && value.max_interval < value.base_interval) report('max_interval', 'max_interval must be greater than or equal to the base_interval');
      },
    }),
    retriable_headers: repeated(headerMatcherSchema),
    retriable_request_headers: repeated(headerMatcherSchema),
  },
  {
    unsupported: {
      retry_priority: NOT_YET,
      rate_limited_retry_back_off: NOT_YET,
      retry_options_predicates: NOT_YET,
    },
    check(value, report) {
      for (const condition of (value.retry_on ?? '').split(',').map((c) => c.trim()).filter(Boolean)) {
        if (!(RETRY_ON as readonly string[]).includes(condition)) report('retry_on', `unknown retry condition '${condition}' (one of ${RETRY_ON.join(', ')})`);
      }
    },
  },
);
export type RetryPolicyConfig = MessageValue<typeof retryPolicySchema.fields>;
