import { extensionPackage, runtimeFractionalPercentSchema, sampled, schema, stringMatcher, stringMatcherSchema, type Counter, type MessageValue, type NodevoyExtension, type Runtime, type StatsScope } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, perFilterConfig, type DecoderFilterCallbacks, type HttpFilter, type HttpFilterFactory, type HttpFilterRouteConfigFactory, type HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';

const NAME = 'envoy.filters.http.csrf';
const TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.csrf.v3.CsrfPolicy';

const csrfPolicySchema = schema.message('envoy.extensions.filters.http.csrf.v3.CsrfPolicy', {
  filter_enabled: schema.required(runtimeFractionalPercentSchema),
  shadow_enabled: runtimeFractionalPercentSchema,
  additional_origins: schema.repeated(stringMatcherSchema),
});
type CsrfPolicyConfig = MessageValue<typeof csrfPolicySchema.fields>;

/** Methods that change state: the only ones the filter checks, as Envoy's. */
const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** Envoy's hostAndPort: the authority of an absolute URL as written, or the value itself when it is not one. */
function hostAndPort(value: string | undefined): string {
  if (!value) return '';
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(value)?.[1];
  return authority === undefined ? value : authority.slice(authority.lastIndexOf('@') + 1);
}

/** One CsrfPolicy (the filter's or a route's), compiled. */
class CsrfPolicy {
  private readonly additionalOrigins: ((origin: string) => boolean)[];

  constructor(
    private readonly config: CsrfPolicyConfig,
    private readonly runtime: Runtime,
  ) {
    this.additionalOrigins = (config.additional_origins ?? []).map(stringMatcher);
  }

  enabled(): boolean {
    return sampled(this.runtime, this.config.filter_enabled.runtime_key, this.config.filter_enabled.default_value);
  }

  shadowEnabled(): boolean {
    const shadow = this.config.shadow_enabled;
    return shadow !== undefined && sampled(this.runtime, shadow.runtime_key, shadow.default_value);
  }

  /** The source is the destination (Host), or one of the additional origins. */
  allows(source: string, headers: HeaderMap): boolean {
    return source === hostAndPort(headers.get(':authority')) || this.additionalOrigins.some((match) => match(source));
  }
}

interface CsrfStats {
  readonly missing_source_origin: Counter;
  readonly request_invalid: Counter;
  readonly request_valid: Counter;
}

/**
 * `envoy.filters.http.csrf` on one request (Envoy's CsrfFilter): a POST, PUT, DELETE or PATCH
 * whose Origin (else Referer) is neither the destination nor an additional origin is answered
 * 403 `Invalid origin` (`csrf_origin_mismatch`) when enforced, only counted in shadow mode.
 */
class CsrfFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;

  constructor(
    private readonly policy: CsrfPolicy,
    private readonly stats: CsrfStats,
    private readonly routePolicy: (callbacks: DecoderFilterCallbacks) => CsrfPolicy | undefined,
  ) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const policy = this.routePolicy(this.callbacks) ?? this.policy;
    const enabled = policy.enabled();
    if (!enabled && !policy.shadowEnabled()) return 'continue';
    if (!MUTATING.has(headers.get(':method') ?? '')) return 'continue';
    const source = hostAndPort(headers.get('origin')) || hostAndPort(headers.get('referer'));
    // Counted as Envoy 1.40 counts them: a request without a source is missing one, not invalid.
    if (source === '') this.stats.missing_source_origin.inc();
    else if (policy.allows(source, headers)) {
      this.stats.request_valid.inc();
      return 'continue';
    } else this.stats.request_invalid.inc();
    if (!enabled) return 'continue';
    this.callbacks.sendLocalReply({ status: 403, body: 'Invalid origin', details: 'csrf_origin_mismatch' });
    return 'stop';
  }
}

function csrfStats(scope: StatsScope): CsrfStats {
  return {
    missing_source_origin: scope.counter('csrf.missing_source_origin'),
    request_invalid: scope.counter('csrf.request_invalid'),
    request_valid: scope.counter('csrf.request_valid'),
  };
}

/** `envoy.filters.http.csrf`. */
export const httpCsrf: HttpFilterFactory<CsrfPolicyConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema: csrfPolicySchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, statsScope, filterConfigName) {
    const policy = new CsrfPolicy(config, context.server.runtime);
    const stats = csrfStats(statsScope);
    const routePolicy = (callbacks: DecoderFilterCallbacks) => perFilterConfig<CsrfPolicy>(callbacks, filterConfigName);
    return (addFilter) => addFilter(new CsrfFilter(policy, stats, routePolicy));
  },
};

/** A route's CsrfPolicy replaces the filter's. */
export const httpCsrfRouteConfig: HttpFilterRouteConfigFactory<CsrfPolicyConfig, CsrfPolicy> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema: csrfPolicySchema,
  createRouteSpecificFilterConfig: (config, context) => new CsrfPolicy(config, context.server.runtime),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpCsrf).add(httpCsrfRouteConfig);
  },
};
