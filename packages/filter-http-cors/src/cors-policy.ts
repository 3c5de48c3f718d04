import { sampled, stringMatcher, type Runtime, type RuntimeFractionalPercentConfig } from '@nodevoy/core';
import type { CorsPolicyConfig } from '@nodevoy/filter-http-connection-manager';

/** A CORS policy compiled once: its origin matchers built, its switches kept as configured. */
export interface CorsPolicy {
  readonly allowOrigins: readonly ((origin: string) => boolean)[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean | undefined;
  readonly allowPrivateNetworkAccess: boolean | undefined;
  readonly forwardNotMatchingPreflights: boolean | undefined;
  readonly filterEnabled: RuntimeFractionalPercentConfig | undefined;
  readonly shadowEnabled: RuntimeFractionalPercentConfig | undefined;
}

/** The deprecated `cors` of routes and virtual hosts is compiled on first use, once per config. */
const compiledDeprecated = new WeakMap<CorsPolicyConfig, CorsPolicy>();

export function compileCorsPolicy(config: CorsPolicyConfig): CorsPolicy {
  return {
    allowOrigins: (config.allow_origin_string_match ?? []).map(stringMatcher),
    allowMethods: config.allow_methods ?? '',
    allowHeaders: config.allow_headers ?? '',
    exposeHeaders: config.expose_headers ?? '',
    maxAge: config.max_age ?? '',
    allowCredentials: config.allow_credentials,
    allowPrivateNetworkAccess: config.allow_private_network_access,
    forwardNotMatchingPreflights: config.forward_not_matching_preflights,
    filterEnabled: config.filter_enabled,
    shadowEnabled: config.shadow_enabled,
  };
}

export function compileDeprecatedCorsPolicy(config: CorsPolicyConfig): CorsPolicy {
  let policy = compiledDeprecated.get(config);
  if (!policy) compiledDeprecated.set(config, (policy = compileCorsPolicy(config)));
  return policy;
}

/**
 * The policies that apply to one request, most specific first, read as Envoy reads them: each
 * setting from the first policy that sets it; enablement from the most specific policy alone.
 */
export class EffectivePolicy {
  constructor(
    private readonly policies: readonly CorsPolicy[],
    private readonly runtime: Runtime,
  ) {}

  get configured(): boolean {
    return this.policies.length > 0;
  }

  /** `filter_enabled` (default: on). */
  enabled(): boolean {
    const first = this.policies[0];
    if (!first) return false;
    return first.filterEnabled ? sampled(this.runtime, first.filterEnabled.runtime_key, first.filterEnabled.default_value) : true;
  }

  /** `shadow_enabled` (default: off): origins are judged and counted, nothing is enforced. */
  shadowEnabled(): boolean {
    const first = this.policies[0];
    if (!first?.shadowEnabled) return false;
    return sampled(this.runtime, first.shadowEnabled.runtime_key, first.shadowEnabled.default_value);
  }

  /** A matcher that accepts `*` lets every origin in, as Envoy's does. */
  originAllowed(origin: string): boolean {
    const matchers = this.policies.find((p) => p.allowOrigins.length > 0)?.allowOrigins ?? [];
    return matchers.some((matches) => matches('*') || matches(origin));
  }

  get allowMethods(): string {
    return this.policies.find((p) => p.allowMethods !== '')?.allowMethods ?? '';
  }

  get allowHeaders(): string {
    return this.policies.find((p) => p.allowHeaders !== '')?.allowHeaders ?? '';
  }

  get exposeHeaders(): string {
    return this.policies.find((p) => p.exposeHeaders !== '')?.exposeHeaders ?? '';
  }

  get maxAge(): string {
    return this.policies.find((p) => p.maxAge !== '')?.maxAge ?? '';
  }

  get allowCredentials(): boolean {
    return this.policies.find((p) => p.allowCredentials !== undefined)?.allowCredentials ?? false;
  }

  get allowPrivateNetworkAccess(): boolean {
    return this.policies.find((p) => p.allowPrivateNetworkAccess !== undefined)?.allowPrivateNetworkAccess ?? false;
  }

  get forwardNotMatchingPreflights(): boolean {
    return this.policies.find((p) => p.forwardNotMatchingPreflights !== undefined)?.forwardNotMatchingPreflights ?? true;
  }
}
