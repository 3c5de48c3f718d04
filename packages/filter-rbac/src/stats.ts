import type { Counter, StatsScope } from '@nodevoy/core';

/** Envoy's statPrefixJoin: a dot between the two unless the first already ends with one. */
function join(prefix: string, token: string): string {
  if (prefix === '') return token;
  return prefix.endsWith('.') ? `${prefix}${token}` : `${prefix}.${token}`;
}

/**
 * An RBAC filter's counters, named as Envoy 1.40's generateStats names them under `prefix`:
 * `rbac.[<rules_stat_prefix>.]allowed|denied`, `rbac.[<shadow_rules_stat_prefix>.]shadow_allowed|
 * shadow_denied`, and with `track_per_rule_stats` one per policy (`rbac.policy.<name>.allowed`).
 */
export class RbacStats {
  readonly allowed: Counter;
  readonly denied: Counter;
  readonly shadowAllowed: Counter;
  readonly shadowDenied: Counter;
  private readonly perPolicyPrefix: string;
  private readonly perPolicyShadowPrefix: string;

  constructor(
    private readonly scope: StatsScope,
    prefix: string,
    rulesPrefix: string,
    shadowRulesPrefix: string,
  ) {
    const base = join(prefix, 'rbac.');
    const final = join(base, rulesPrefix);
    // Envoy 1.40 puts the shadow rules' prefix beside the rules' one, not after it.
    const finalShadow = join(base, shadowRulesPrefix);
    this.allowed = scope.counter(join(final, 'allowed'));
    this.denied = scope.counter(join(final, 'denied'));
    this.shadowAllowed = scope.counter(join(finalShadow, 'shadow_allowed'));
    this.shadowDenied = scope.counter(join(finalShadow, 'shadow_denied'));
    this.perPolicyPrefix = join(final, 'policy.');
    this.perPolicyShadowPrefix = join(finalShadow, 'policy.');
  }

  policy(policyId: string, outcome: 'allowed' | 'denied' | 'shadow_allowed' | 'shadow_denied'): void {
    const prefix = outcome.startsWith('shadow_') ? this.perPolicyShadowPrefix : this.perPolicyPrefix;
    this.scope.counter(`${prefix}${policyId}.${outcome}`).inc();
  }
}
