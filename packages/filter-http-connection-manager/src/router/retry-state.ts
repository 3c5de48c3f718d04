import type { ClusterInfo, ClusterStats, Host } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import type { UpstreamFailure } from '@nodevoy/http';
import type { RetryPolicyConfig } from '../config/retry-policy.js';
import { headerMatcher } from '../routing/route-matcher.js';

/** Envoy's default base interval between retries (`upstream.base_retry_backoff_ms`). */
const BASE_INTERVAL_MS = 25;

/** gRPC statuses a `retry_on` names, by their code in `grpc-status`. */
const GRPC_CONDITIONS: Readonly<Record<string, string>> = { '1': 'cancelled', '4': 'deadline-exceeded', '8': 'resource-exhausted', '13': 'internal', '14': 'unavailable' };


export type RetryVerdict =
  /** No retry condition holds: the answer (or failure) goes to the client. */
  | { readonly retry: false; readonly reason: 'no' | 'limit_exceeded' | 'overflow' }
  | { readonly retry: true; readonly delayMs: number };

function conditions(text: string | undefined): Set<string> {
  return new Set((text ?? '').split(',').map((c) => c.trim()).filter(Boolean));
}

/**
 * One request's retries (Envoy's RetryStateImpl): the route's policy merged with the
 * x-envoy-retry-* request headers (which it consumes), what each failure or response allows,
 * the retries left, the jittered exponential back-off, the hosts tried, the cluster's budget.
 */
export class RetryState {
  private retriesLeft: number;
  private readonly retryOn: Set<string>;
  private readonly statusCodes: number[];
  private readonly retriableHeaders: ((headers: HeaderMap) => boolean)[];
  private readonly baseMs: number;
  private readonly maxMs: number;
  private backoffStep = 1;
  /** Holding one of the cluster's retry slots: from a retry's decision to the next decision. */
  private holdsSlot = false;
  readonly triedHosts: Host[] = [];

  /** Undefined when nothing could ever be retried (no policy and no retry header). */
  static create(policy: RetryPolicyConfig | undefined, request: HeaderMap, cluster: ClusterInfo): RetryState | undefined {
    const state = policy?.retry_on || request.has('x-envoy-retry-on') || request.has('x-envoy-retry-grpc-on') ? new RetryState(policy ?? {}, request, cluster) : undefined;
    for (const name of ['x-envoy-retry-on', 'x-envoy-retry-grpc-on', 'x-envoy-max-retries', 'x-envoy-hedge-on-per-try-timeout', 'x-envoy-retriable-header-names', 'x-envoy-retriable-status-codes', 'x-envoy-upstream-rq-per-try-timeout-ms']) {
      request.remove(name);
    }
    return state;
  }

  private readonly stats: ClusterStats;

  private constructor(
    readonly policy: RetryPolicyConfig,
    request: HeaderMap,
    private readonly cluster: ClusterInfo,
  ) {
    this.stats = cluster.stats;
    this.retryOn = conditions(policy.retry_on);
    for (const header of ['x-envoy-retry-on', 'x-envoy-retry-grpc-on']) for (const c of conditions(request.get(header))) this.retryOn.add(c);
    const requestMatchers = (policy.retriable_request_headers ?? []).map(headerMatcher);
    if (requestMatchers.length > 0 && !requestMatchers.some((match) => match(request))) this.retryOn.clear();
    this.retriesLeft = policy.num_retries ?? 1;
    const maxRetries = Number(request.get('x-envoy-max-retries'));
    if (this.retryOn.size > 0 && request.has('x-envoy-max-retries') && Number.isInteger(maxRetries) && maxRetries >= 0) this.retriesLeft = maxRetries;
    this.statusCodes = [...(policy.retriable_status_codes ?? [])];
    for (const code of (request.get('x-envoy-retriable-status-codes') ?? '').split(',')) if (/^\d+$/.test(code.trim())) this.statusCodes.push(Number(code));
    this.retriableHeaders = (policy.retriable_headers ?? []).map(headerMatcher);
    for (const name of (request.get('x-envoy-retriable-header-names') ?? '').split(',').map((n) => n.trim()).filter(Boolean)) this.retriableHeaders.push(headerMatcher({ name }));
    this.baseMs = policy.retry_back_off?.base_interval ?? BASE_INTERVAL_MS;
    this.maxMs = policy.retry_back_off?.max_interval ?? this.baseMs * 10;
  }

  /** `per_try_timeout` in ms; 0 is none. */
  get perTryTimeoutMs(): number {
    return this.policy.per_try_timeout ?? 0;
  }

  /** How many hosts to try for one attempt before taking one already tried (`host_selection_retry_max_attempts`). */
  get hostSelectionAttempts(): number {
    return Math.max(1, this.policy.host_selection_retry_max_attempts ?? 1);
  }

  /** Whether `host` should be passed over (the previous_hosts predicate). */
  rejectsHost(host: Host): boolean {
    return (this.policy.retry_host_predicate?.length ?? 0) > 0 && this.triedHosts.includes(host);
  }

  /** Envoy's wouldRetryFromHeaders. */
  onResponse(headers: HeaderMap): RetryVerdict {
    const on = this.retryOn;
    const status = Number(headers.get(':status') ?? 0);
    let would: boolean;
    if (headers.has('x-envoy-ratelimited')) would = on.has('envoy-ratelimited');
    else {
      would =
        (on.has('5xx') && status >= 500 && status < 600) ||
        (on.has('gateway-error') && status >= 502 && status <= 504) ||
        (on.has('retriable-4xx') && status === 409) ||
        (on.has('retriable-status-codes') && this.statusCodes.includes(status)) ||
        (on.has('retriable-headers') && this.retriableHeaders.some((match) => match(headers)));
      const grpc = GRPC_CONDITIONS[headers.get('grpc-status') ?? ''];
      if (!would && grpc !== undefined) would = on.has(grpc);
    }
    return this.decide(would);
  }

  /** Envoy's wouldRetryFromReset: a failure before the response started (`started`: request bytes went out). */
  onFailure(failure: UpstreamFailure, started: boolean): RetryVerdict {
    const on = this.retryOn;
    if (failure.kind === 'overflow') return this.decide(false);
    if (failure.kind === 'connect') return this.decide(on.has('connect-failure'));
    const would =
      (on.has('reset-before-request') && !started) ||
      on.has('reset') ||
      on.has('5xx') ||
      on.has('gateway-error') ||
      (on.has('refused-stream') && failure.resetReason === 'refused stream');
    return this.decide(would);
  }

  /** A per-try timeout: retried like a reset under `5xx` or `gateway-error`, as Envoy does. */
  onPerTryTimeout(): RetryVerdict {
    return this.decide(this.retryOn.has('5xx') || this.retryOn.has('gateway-error') || this.retryOn.has('reset'));
  }

  /** The request is over: a slot still held goes back to the cluster. */
  release(): void {
    if (!this.holdsSlot) return;
    this.holdsSlot = false;
    this.cluster.resources.DEFAULT.retries.dec();
  }

  /** Envoy's shouldRetry: counts the outcome, takes a retry and a slot, and picks the back-off. */
  private decide(would: boolean): RetryVerdict {
    if (this.holdsSlot && !would) this.stats.upstream_rq_retry_success.inc();
    this.release();
    if (!would) return { retry: false, reason: 'no' };
    if (this.retriesLeft === 0) {
      this.stats.upstream_rq_retry_limit_exceeded.inc();
      return { retry: false, reason: 'limit_exceeded' };
    }
    this.retriesLeft--;
    // The cluster's `max_retries` circuit breaker (or its retry budget): retries in flight at once.
    const retries = this.cluster.resources.DEFAULT.retries;
    if (!retries.canCreate()) {
      this.stats.upstream_rq_retry_overflow.inc();
      return { retry: false, reason: 'overflow' };
    }
    retries.inc();
    this.holdsSlot = true;
    this.stats.upstream_rq_retry.inc();
    this.stats.upstream_rq_retry_backoff_exponential.inc();
    return { retry: true, delayMs: this.nextBackoffMs() };
  }

  /** Envoy's JitteredExponentialBackOffStrategy: uniform below base x (2^n - 1), capped at max_interval. */
  private nextBackoffMs(): number {
    const ceiling = ((1 << this.backoffStep) - 1) * this.baseMs;
    if (ceiling <= this.maxMs) this.backoffStep++;
    return Math.min(Math.floor(Math.random() * ceiling), this.maxMs);
  }
}
