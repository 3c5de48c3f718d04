import { runtimeFractionalPercentSchema, sampled, schema, type Counter, type MessageValue, type Runtime, type StatsScope } from '@nodevoy/core';
import { requestFormatContext, type DecoderFilterCallbacks, type HttpFilter, type HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import { HeaderMutation, headersToAdd, httpStatusSchema, type HeaderMap } from '@nodevoy/http';
import { TokenBucket, tokenBucketSchema } from './token-bucket.js';

const { message, string, bool, enumOf, required } = schema;
const PROTO = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const LATER = 'nodevoy has no route rate_limits actions yet: limit per route with typed_per_filter_config instead';

const fields = {
  stat_prefix: required(string({ minLen: 1 })),
  status: httpStatusSchema,
  token_bucket: tokenBucketSchema,
  filter_enabled: runtimeFractionalPercentSchema,
  filter_enforced: runtimeFractionalPercentSchema,
  request_headers_to_add_when_not_enforced: headersToAdd(),
  response_headers_to_add: headersToAdd(),
  local_rate_limit_per_downstream_connection: bool(),
  enable_x_ratelimit_headers: enumOf('envoy.extensions.common.ratelimit.v3.XRateLimitHeadersRFCVersion', ['OFF', 'DRAFT_VERSION_03'] as const),
  always_consume_default_token_bucket: bool(),
  rate_limited_as_resource_exhausted: bool(),
};
const unsupported = {
  descriptors: LATER,
  rate_limits: LATER,
  vh_rate_limits: LATER,
  stage: LATER,
  max_dynamic_descriptors: LATER,
  local_cluster_rate_limit: 'nodevoy has no local cluster to share the limit with',
};

export const httpLocalRateLimitSchema = message(PROTO, fields, { unsupported });

/** In typed_per_filter_config a bucket is required, as Envoy requires it. */
export const httpLocalRateLimitRouteSchema = message(PROTO, fields, {
  unsupported,
  check(value, report) {
    if (!value.token_bucket) report(undefined, 'local rate limit token bucket must be set for per filter configs');
  },
});
export type HttpLocalRateLimitConfig = MessageValue<typeof httpLocalRateLimitSchema.fields>;

/** gRPC's RESOURCE_EXHAUSTED. */
const GRPC_RESOURCE_EXHAUSTED = 8;

const COUNTERS = ['enabled', 'enforced', 'ok', 'rate_limited', 'shadow_mode'] as const;
type LocalRateLimitStats = Record<(typeof COUNTERS)[number], Counter>;

/** Per-connection buckets live in the connection's filter state, one per filter config. */
const PER_CONNECTION_KEY = 'per_connection_local_rate_limiter';

/**
 * One local_ratelimit config, from http_filters or a route's typed_per_filter_config (Envoy's
 * FilterConfig): its bucket (shared by every request it sees, or one per downstream
 * connection), the enable/enforce fractions, the reply and the headers it adds;
 * `<stat_prefix>.http_local_rate_limit.*` stats at the root, as Envoy's.
 */
export class HttpLocalRateLimit {
  readonly stats: LocalRateLimitStats;
  readonly status: number;
  readonly xRateLimitHeaders: boolean;
  /** `rate_limited_as_resource_exhausted`: gRPC callers get RESOURCE_EXHAUSTED, not UNAVAILABLE. */
  readonly grpcStatus: number | undefined;
  readonly responseHeaders: HeaderMutation;
  readonly requestHeadersWhenNotEnforced: HeaderMutation;
  private readonly bucket: TokenBucket | undefined;

  constructor(
    private readonly config: HttpLocalRateLimitConfig,
    private readonly runtime: Runtime,
    rootScope: StatsScope,
  ) {
    this.stats = Object.fromEntries(COUNTERS.map((name) => [name, rootScope.counter(`${config.stat_prefix}.http_local_rate_limit.${name}`)])) as LocalRateLimitStats;
    this.status = config.status?.code ?? 429;
    this.xRateLimitHeaders = config.enable_x_ratelimit_headers === 'DRAFT_VERSION_03';
    this.grpcStatus = config.rate_limited_as_resource_exhausted ? GRPC_RESOURCE_EXHAUSTED : undefined;
    this.responseHeaders = new HeaderMutation(config.response_headers_to_add);
    this.requestHeadersWhenNotEnforced = new HeaderMutation(config.request_headers_to_add_when_not_enforced);
    this.bucket = config.token_bucket && !config.local_rate_limit_per_downstream_connection ? new TokenBucket(config.token_bucket) : undefined;
  }

  /** Absent, the filter is off (Envoy's default, for safety). */
  enabled(): boolean {
    return this.config.filter_enabled !== undefined && sampled(this.runtime, this.config.filter_enabled.runtime_key, this.config.filter_enabled.default_value);
  }

  enforced(): boolean {
    return this.config.filter_enforced !== undefined && sampled(this.runtime, this.config.filter_enforced.runtime_key, this.config.filter_enforced.default_value);
  }

  /** The bucket this request draws from; none without a token_bucket (nothing is limited). */
  bucketFor(callbacks: DecoderFilterCallbacks): TokenBucket | undefined {
    const tokenBucket = this.config.token_bucket;
    if (!tokenBucket || !this.config.local_rate_limit_per_downstream_connection) return this.bucket;
    const state = callbacks.connectionInfo.filterState;
    const buckets = (state.get(PER_CONNECTION_KEY) as Map<HttpLocalRateLimit, TokenBucket> | undefined) ?? new Map<HttpLocalRateLimit, TokenBucket>();
    if (!state.has(PER_CONNECTION_KEY)) state.set(PER_CONNECTION_KEY, buckets);
    let bucket = buckets.get(this);
    if (!bucket) buckets.set(this, (bucket = new TokenBucket(tokenBucket)));
    return bucket;
  }
}

/**
 * Envoy's local rate limit filter for one request: the route's config if it has one, else the
 * filter's; a request that finds no token is counted and, when enforced, answered with the
 * configured status (429) and `local_rate_limited` here; x-ratelimit-* headers on the response.
 */
export class HttpLocalRateLimitFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private bucket: TokenBucket | undefined;
  private used: HttpLocalRateLimit;

  constructor(
    config: HttpLocalRateLimit,
    private readonly routeConfig: (callbacks: DecoderFilterCallbacks) => HttpLocalRateLimit | undefined,
  ) {
    this.used = config;
  }

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const used = (this.used = this.routeConfig(this.callbacks) ?? this.used);
    if (!used.enabled()) return 'continue';
    used.stats.enabled.inc();
    const bucket = (this.bucket = used.bucketFor(this.callbacks));
    if (!bucket || bucket.consume()) {
      used.stats.ok.inc();
      return 'continue';
    }
    used.stats.rate_limited.inc();
    // (shadow_mode counts descriptors in shadow mode, which nodevoy does not have yet.)
    if (!used.enforced()) {
      used.requestHeadersWhenNotEnforced.apply(headers, requestFormatContext(this.callbacks, headers));
      return 'continue';
    }
    used.stats.enforced.inc();
    const context = requestFormatContext(this.callbacks, headers);
    this.callbacks.sendLocalReply({
      status: used.status,
      body: 'local_rate_limited',
      details: 'local_rate_limited',
      mutateHeaders: (reply) => used.responseHeaders.apply(reply, context),
      ...(used.grpcStatus !== undefined ? { grpcStatus: used.grpcStatus } : {}),
    });
    return 'stop';
  }

  encodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const bucket = this.bucket;
    if (!bucket || !this.used.xRateLimitHeaders) return 'continue';
    headers.add('x-ratelimit-limit', String(bucket.maxTokens));
    headers.add('x-ratelimit-remaining', String(bucket.remaining()));
    headers.add('x-ratelimit-reset', String(bucket.resetSeconds()));
    return 'continue';
  }
}
