import {
  Category,
  payloadBytes,
  payloadMatches,
  stringMatcher,
  type HealthCheckerFactory,
  type HealthCheckResult,
  type HealthCheckSession,
  type HealthCheckTarget,
} from '@nodevoy/core';
import { HeaderMap, HeaderMutation } from '@nodevoy/http';
import { HTTP_HEALTH_CHECK_TYPE_URL, httpHealthCheckSchema, type HttpHealthCheckConfig, type StatusRange } from './http-health-check-config.js';
import { Http1HealthCheckClient } from './http1-client.js';
import { Http2HealthCheckClient } from './http2-client.js';
import type { HealthCheckHttpClient, HealthCheckRequest, HealthCheckResponse } from './http-client.js';

/** Envoy's default `response_buffer_size`: how much of a body `receive` is matched against. */
const DEFAULT_RESPONSE_BUFFER_SIZE = 1024;

type Ranges = readonly (readonly [number, number])[];

function ranges(config: readonly StatusRange[] | undefined): Ranges {
  return (config ?? []).map((r) => [r.start ?? 0, r.end ?? 0] as const);
}

const inRanges = (status: number, list: Ranges) => list.some(([start, end]) => status >= start && status < end);

/** A configured HTTP checker: what to send and how to judge the answer, shared by every host's session. */
class HttpCheckSpec {
  readonly method: string;
  readonly body: Buffer | undefined;
  readonly receive: readonly Buffer[];
  readonly bodyLimit: number;
  private readonly expected: Ranges;
  private readonly retriable: Ranges;
  private readonly headers: HeaderMutation;
  private readonly serviceName: ((value: string) => boolean) | undefined;

  constructor(
    readonly config: HttpHealthCheckConfig,
    private readonly countVerifyCluster: () => void,
  ) {
    this.method = !config.method || config.method === 'METHOD_UNSPECIFIED' ? 'GET' : config.method;
    this.body = config.send ? payloadBytes(config.send) : undefined;
    this.receive = (config.receive ?? []).map(payloadBytes);
    const size = config.response_buffer_size ?? DEFAULT_RESPONSE_BUFFER_SIZE;
    this.bodyLimit = this.receive.length === 0 ? 0 : size === 0 ? Number.MAX_SAFE_INTEGER : size;
    this.expected = config.expected_statuses?.length ? ranges(config.expected_statuses) : [[200, 201]];
    this.retriable = ranges(config.retriable_statuses);
    this.headers = new HeaderMutation(config.request_headers_to_add, config.request_headers_to_remove);
    this.serviceName = config.service_name_matcher ? stringMatcher(config.service_name_matcher) : undefined;
  }

  request(target: HealthCheckTarget): HealthCheckRequest {
    const headers = new HeaderMap();
    headers.set('user-agent', 'Envoy/HC');
    if (!this.headers.isEmpty) this.headers.apply(headers, { upstreamHost: target.address });
    if (this.body) headers.set('content-length', String(this.body.length));
    return {
      method: this.method,
      path: this.config.path,
      authority: target.hostname(this.config.host),
      headers: headers.toHttp2(),
      ...(this.body ? { body: this.body } : {}),
    };
  }

  /** Envoy's `healthCheckResult`: body match first, then status, then the service name. */
  judge(response: HealthCheckResponse): HealthCheckResult {
    const status = response.status;
    const immediate = response.header('x-envoy-immediate-health-check-fail') !== undefined;
    if (this.receive.length > 0 && !payloadMatches(this.receive, response.body)) {
      return { healthy: false, type: 'ACTIVE', httpStatus: status, excludeImmediately: immediate };
    }
    if (!inRanges(status, this.expected)) {
      return { healthy: false, type: 'ACTIVE', httpStatus: status, excludeImmediately: immediate, retriable: inRanges(status, this.retriable) };
    }
    const degraded = response.header('x-envoy-degraded') !== undefined;
    if (this.serviceName) {
      this.countVerifyCluster();
      if (!this.serviceName(response.header('x-envoy-upstream-healthchecked-cluster') ?? '')) return { healthy: false, type: 'ACTIVE', httpStatus: status };
    }
    return { healthy: true, degraded };
  }
}

class HttpHealthCheckSession implements HealthCheckSession {
  private readonly client: HealthCheckHttpClient;

  constructor(
    private readonly spec: HttpCheckSpec,
    private readonly target: HealthCheckTarget,
    http2: boolean,
    reuseConnection: boolean,
  ) {
    this.client = http2 ? new Http2HealthCheckClient(target, reuseConnection) : new Http1HealthCheckClient(target, reuseConnection);
  }

  check(done: (result: HealthCheckResult) => void): void {
    this.client.send(this.spec.request(this.target), this.spec.bodyLimit, (outcome) => {
      done(outcome instanceof Error ? { healthy: false, type: 'NETWORK' } : this.spec.judge(outcome));
    });
  }

  abandon(): void {
    this.client.abandon();
  }

  close(): void {
    this.client.close();
  }
}

/** `envoy.health_checkers.http`: a request per check, judged by status, body and headers as Envoy does. */
export const httpHealthChecker: HealthCheckerFactory<HttpHealthCheckConfig> = {
  name: 'envoy.health_checkers.http',
  category: Category.healthChecker,
  typeUrls: [HTTP_HEALTH_CHECK_TYPE_URL],
  configSchema: httpHealthCheckSchema,
  createHealthChecker(config, context) {
    const verifyCluster = context.cluster.statsScope.counter('health_check.verify_cluster');
    const spec = new HttpCheckSpec(config, () => verifyCluster.inc());
    const http2 = config.codec_client_type === 'HTTP2';
    return {
      type: 'HTTP',
      createSession: (target) => new HttpHealthCheckSession(spec, target, http2, context.reuseConnection),
    };
  },
};
