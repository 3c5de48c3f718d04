import type { DecoderFilterCallbacks, HttpFilter, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';
import type { HttpRbacConfig } from './config.js';
import { RbacEngine, deniedDetails, type RbacSubject } from './engine.js';
import type { RbacStats } from './stats.js';

/** Where the HTTP filter writes its results, as Envoy's. */
const METADATA_NAMESPACE = 'envoy.filters.http.rbac';

/** One RBAC filter config (the filter's, or a route's RBACPerRoute): its engines and key prefixes. */
export class HttpRbacRules {
  readonly engine: RbacEngine | undefined;
  readonly shadowEngine: RbacEngine | undefined;
  readonly rulesPrefix: string;
  readonly shadowRulesPrefix: string;
  readonly perRuleStats: boolean;

  constructor(config: HttpRbacConfig | undefined) {
    this.engine = config?.rules ? new RbacEngine(config.rules) : undefined;
    this.shadowEngine = config?.shadow_rules ? new RbacEngine(config.shadow_rules) : undefined;
    this.rulesPrefix = config?.rules_stat_prefix ?? '';
    this.shadowRulesPrefix = config?.shadow_rules_stat_prefix ?? '';
    this.perRuleStats = config?.track_per_rule_stats ?? false;
  }
}

/** The request as the policies see it: the connection's addresses, TLS and SNI, the headers. */
function subjectOf(callbacks: DecoderFilterCallbacks, headers: HeaderMap): RbacSubject {
  const { connection, connectionInfo, requestInfo } = callbacks;
  return {
    localAddress: connection.localAddress,
    remoteAddress: connection.remoteAddress,
    directRemoteAddress: connectionInfo.directRemoteAddress ?? connection.remoteAddress,
    downstreamRemoteAddress: requestInfo.downstreamRemoteAddress ?? connection.remoteAddress,
    requestedServerName: connectionInfo.requestedServerName,
    ssl: connection.ssl,
    headers,
    dynamicMetadata: requestInfo.dynamicMetadata,
  };
}

/**
 * `envoy.filters.http.rbac` on one request: the shadow rules are judged and counted only; the
 * enforced rules let the request on or answer 403 `RBAC: access denied`. A route's RBACPerRoute
 * replaces the filter's rules (an empty one turns them off); the results go to dynamic metadata.
 */
export class HttpRbacFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;

  constructor(
    private readonly rules: HttpRbacRules,
    private readonly stats: RbacStats,
    private readonly routeRules: (callbacks: DecoderFilterCallbacks) => HttpRbacRules | undefined,
  ) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    const rules = this.routeRules(this.callbacks) ?? this.rules;
    const { stats } = this;
    const subject = subjectOf(this.callbacks, headers);
    const metadata: Record<string, string> = {};
    if (rules.shadowEngine) {
      const { allowed, policyId } = rules.shadowEngine.decide(subject);
      (allowed ? stats.shadowAllowed : stats.shadowDenied).inc();
      if (policyId && rules.perRuleStats) stats.policy(policyId, allowed ? 'shadow_allowed' : 'shadow_denied');
      if (policyId) metadata[`${rules.shadowRulesPrefix}shadow_effective_policy_id`] = policyId;
      metadata[`${rules.shadowRulesPrefix}shadow_engine_result`] = allowed ? 'allowed' : 'denied';
    }
    if (!rules.engine) {
      if (rules.shadowEngine) this.callbacks.requestInfo.setDynamicMetadata(METADATA_NAMESPACE, metadata);
      return 'continue';
    }
    const { allowed, policyId } = rules.engine.decide(subject);
    if (policyId) metadata[`${rules.rulesPrefix}enforced_effective_policy_id`] = policyId;
    metadata[`${rules.rulesPrefix}enforced_engine_result`] = allowed ? 'allowed' : 'denied';
    (allowed ? stats.allowed : stats.denied).inc();
    if (policyId && rules.perRuleStats) stats.policy(policyId, allowed ? 'allowed' : 'denied');
    // As Envoy's: a denial's reply is made before the results are in dynamic metadata.
    if (!allowed) this.callbacks.sendLocalReply({ status: 403, body: 'RBAC: access denied', details: deniedDetails(policyId) });
    this.callbacks.requestInfo.setDynamicMetadata(METADATA_NAMESPACE, metadata);
    return allowed ? 'continue' : 'stop';
  }
}
