import type { Counter, Runtime } from '@nodevoy/core';
import type { DecoderFilterCallbacks, HttpFilter, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';
import { compileDeprecatedCorsPolicy, EffectivePolicy, type CorsPolicy } from './cors-policy.js';

export interface CorsStats {
  readonly origin_valid: Counter;
  readonly origin_invalid: Counter;
}

/**
 * Envoy's CORS filter for one request: with the route's policies (its typed_per_filter_config,
 * else the deprecated `cors` of the route and virtual host) it counts the Origin as valid or
 * invalid, answers a preflight (OPTIONS with Origin and Access-Control-Request-Method) itself,
 * and adds the Access-Control-* headers to the response of an allowed origin.
 */
export class CorsFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private policy: EffectivePolicy | undefined;
  /** The request's Origin, when it is allowed and the policy is enforced. */
  private allowedOrigin = '';
  private corsRequest = false;

  constructor(
    private readonly filterConfigName: string,
    private readonly stats: CorsStats,
    private readonly runtime: Runtime,
  ) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const route = this.callbacks.route();
    // Only routes that forward have a policy (Envoy: no route entry for direct responses and redirects).
    if (!route?.action) return 'continue';
    const policy = new EffectivePolicy(this.policiesOf(route), this.runtime);
    this.policy = policy;
    const enabled = policy.enabled();
    if (!enabled && !policy.shadowEnabled()) return 'continue';
    const origin = headers.get('origin');
    if (!origin) return 'continue';
    const allowed = policy.originAllowed(origin);
    if (allowed) {
      this.stats.origin_valid.inc();
      this.allowedOrigin = origin;
    } else {
      this.stats.origin_invalid.inc();
    }
    if (!enabled) return 'continue';
    this.corsRequest = true;
    const requestMethod = headers.get('access-control-request-method');
    if (headers.get(':method') !== 'OPTIONS' || !requestMethod) return 'continue';
    if (!allowed && policy.forwardNotMatchingPreflights) return 'continue';
    this.callbacks.sendLocalReply({ status: 200, details: 'cors_response', headers: preflightHeaders(policy, allowed ? origin : undefined, requestMethod, headers) });
    return 'stop';
  }

  encodeHeaders(headers: HeaderMap): HttpFilterStatus {
    if (!this.corsRequest || !this.allowedOrigin || !this.policy) return 'continue';
    headers.set('access-control-allow-origin', this.allowedOrigin);
    if (this.policy.allowCredentials) headers.set('access-control-allow-credentials', 'true');
    if (this.policy.exposeHeaders) headers.set('access-control-expose-headers', this.policy.exposeHeaders);
    return 'continue';
  }

  /** Most specific first: the per-filter configs, else the deprecated route and virtual host fields. */
  private policiesOf(route: NonNullable<ReturnType<DecoderFilterCallbacks['route']>>): CorsPolicy[] {
    const configured = route.perFilterConfigs(this.filterConfigName) as CorsPolicy[];
    if (configured.length > 0) return [...configured].reverse();
    const deprecated = [route.action?.cors, route.virtualHostConfig.cors].filter((p) => p !== undefined);
    return deprecated.map(compileDeprecatedCorsPolicy);
  }
}

function preflightHeaders(policy: EffectivePolicy, origin: string | undefined, requestMethod: string, request: HeaderMap): [string, string][] {
  const headers: [string, string][] = [];
  if (origin) headers.push(['access-control-allow-origin', origin]);
  if (policy.allowCredentials) headers.push(['access-control-allow-credentials', 'true']);
  const methods = policy.allowMethods;
  if (methods) headers.push(['access-control-allow-methods', methods === '*' ? requestMethod : methods]);
  const allowHeaders = policy.allowHeaders;
  if (allowHeaders) headers.push(['access-control-allow-headers', allowHeaders === '*' ? (request.get('access-control-request-headers') ?? '') : allowHeaders]);
  if (policy.maxAge) headers.push(['access-control-max-age', policy.maxAge]);
  if (policy.allowPrivateNetworkAccess && request.get('access-control-request-private-network') === 'true') {
    headers.push(['access-control-allow-private-network', 'true']);
  }
  return headers;
}
