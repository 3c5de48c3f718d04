import { HTTP_HEALTH_CHECK_TYPE_URL, healthCheckPayloadSchema, schema, stringMatcherSchema, type MessageValue } from '@nodevoy/core';
import { headersToAdd, headersToRemove } from '@nodevoy/http';

const { message, string, repeated, enumOf, uint64, int64, required } = schema;

export { HTTP_HEALTH_CHECK_TYPE_URL };

const rangeSchema = message('envoy.type.v3.Int64Range', { start: int64(), end: int64() });
export type StatusRange = MessageValue<typeof rangeSchema.fields>;

/** Envoy's checks on status ranges: `[start, end)` within 100..600. */
function checkRanges(ranges: readonly StatusRange[] | undefined, kind: string, field: string, report: (field: string, message: string) => void): void {
  for (const range of ranges ?? []) {
    const start = range.start ?? 0;
    const end = range.end ?? 0;
    if (start >= end) report(field, `Invalid http ${kind} status range: expecting start < end, but found start=${start} and end=${end}`);
    else if (start < 100) report(field, `Invalid http ${kind} status range: expecting start >= 100, but found start=${start}`);
    else if (end > 600) report(field, `Invalid http ${kind} status range: expecting end <= 600, but found end=${end}`);
  }
}

const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'TRACE']);

export const httpHealthCheckSchema = message(
  'envoy.config.core.v3.HealthCheck.HttpHealthCheck',
  {
    host: string(),
    path: required(string({ minLen: 1 })),
    send: healthCheckPayloadSchema,
    receive: repeated(healthCheckPayloadSchema),
    response_buffer_size: uint64(),
    request_headers_to_add: headersToAdd(),
    request_headers_to_remove: headersToRemove(),
    expected_statuses: repeated(rangeSchema),
    retriable_statuses: repeated(rangeSchema),
    codec_client_type: enumOf('envoy.type.v3.CodecClientType', ['HTTP1', 'HTTP2', 'HTTP3'] as const, { HTTP3: 'nodevoy has no HTTP/3: use HTTP1 or HTTP2' }),
    service_name_matcher: stringMatcherSchema,
    method: enumOf('envoy.config.core.v3.RequestMethod', ['METHOD_UNSPECIFIED', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const, {
      CONNECT: 'a health check cannot use CONNECT',
    }),
  },
  {
    check: (config, report) => {
      checkRanges(config.expected_statuses, 'expected', 'expected_statuses', report);
      checkRanges(config.retriable_statuses, 'retriable', 'retriable_statuses', report);
      const method = !config.method || config.method === 'METHOD_UNSPECIFIED' ? 'GET' : config.method;
      if (config.send && BODILESS.has(method)) {
        report(
          'send',
          `HTTP health check cannot specify a request payload with method '${method}'. Only methods that support a request body (POST, PUT, PATCH, OPTIONS) can be used with payload.`,
        );
      }
    },
  },
);
export type HttpHealthCheckConfig = MessageValue<typeof httpHealthCheckSchema.fields>;
