import { cidrContains, parseCidr, stringMatcher, type Address, type CidrRangeConfig, type DynamicMetadata, type SslConnectionInfo } from '@nodevoy/core';
import { headerMatcher } from '@nodevoy/filter-http-connection-manager';
import { HeaderMap } from '@nodevoy/http';
import type { PermissionConfig, PrincipalConfig, RbacRulesConfig } from './config.js';
import { metadataMatcher } from './metadata-matcher.js';

/** What a policy is judged on: a connection, and for HTTP its request. */
export interface RbacSubject {
  readonly localAddress: Address;
  /** The connection's peer (restored by PROXY protocol): `source_ip`. */
  readonly remoteAddress: Address;
  /** The socket's own peer: `direct_remote_ip`. */
  readonly directRemoteAddress: Address;
  /** The client as the connection manager decided it (x-forwarded-for, trusted hops): `remote_ip`. */
  readonly downstreamRemoteAddress: Address;
  readonly requestedServerName: string;
  readonly ssl: SslConnectionInfo | undefined;
  /** The request's headers; a network filter judges none. */
  readonly headers: HeaderMap;
  readonly dynamicMetadata: DynamicMetadata;
}

type Matcher = (subject: RbacSubject) => boolean;

/** A network filter has no request: header and path rules see an empty header map, as Envoy's. */
export const NO_HEADERS = new HeaderMap();

function ipMatcher(range: CidrRangeConfig, address: (subject: RbacSubject) => Address): Matcher {
  const cidr = parseCidr(range.address_prefix, range.prefix_len ?? 0);
  return (subject) => {
    const ip = address(subject);
    return cidr !== undefined && ip.kind === 'socket' && cidrContains(cidr, ip.ip);
  };
}

function pathMatcher(config: { readonly path: Parameters<typeof stringMatcher>[0] }): Matcher {
  const match = stringMatcher(config.path);
  return ({ headers }) => {
    const path = headers.get(':path');
    // Envoy's PathMatcher judges the path without its query and fragment.
    return path !== undefined && match(path.replace(/[?#].*$/s, ''));
  };
}

function portOf(address: Address): number | undefined {
  return address.kind === 'socket' ? address.port : undefined;
}

const all = (matchers: Matcher[]): Matcher => (subject) => matchers.every((m) => m(subject));
const some = (matchers: Matcher[]): Matcher => (subject) => matchers.some((m) => m(subject));

/** The rules permissions and principals both have: a header, the path, dynamic metadata. */
function sharedMatcher(config: PermissionConfig | PrincipalConfig): Matcher | undefined {
  if (config.header) {
    const match = headerMatcher(config.header);
    return ({ headers }) => match(headers);
  }
  if (config.url_path) return pathMatcher(config.url_path);
  if (config.metadata) {
    const match = metadataMatcher(config.metadata);
    return (s) => match(s.dynamicMetadata);
  }
  return undefined;
}

function permissionMatcher(config: PermissionConfig): Matcher {
  if (config.and_rules) return all((config.and_rules.rules ?? []).map(permissionMatcher));
  if (config.or_rules) return some((config.or_rules.rules ?? []).map(permissionMatcher));
  if (config.any) return () => true;
  const shared = sharedMatcher(config);
  if (shared) return shared;
  if (config.destination_ip) return ipMatcher(config.destination_ip, (s) => s.localAddress);
  if (config.destination_port !== undefined) {
    const port = config.destination_port;
    return (s) => portOf(s.localAddress) === port;
  }
  if (config.destination_port_range) {
    const { start = 0, end = 0 } = config.destination_port_range;
    return (s) => {
      const port = portOf(s.localAddress);
      return port !== undefined && start <= port && port < end;
    };
  }
  if (config.not_rule) {
    const inner = permissionMatcher(config.not_rule);
    return (s) => !inner(s);
  }
  if (config.requested_server_name) {
    const match = stringMatcher(config.requested_server_name);
    return (s) => match(s.requestedServerName);
  }
  return () => false; // `any: false`
}

function principalMatcher(config: PrincipalConfig): Matcher {
  if (config.and_ids) return all((config.and_ids.ids ?? []).map(principalMatcher));
  if (config.or_ids) return some((config.or_ids.ids ?? []).map(principalMatcher));
  if (config.any) return () => true;
  if (config.authenticated) return authenticatedMatcher(config.authenticated.principal_name);
  if (config.source_ip) return ipMatcher(config.source_ip, (s) => s.remoteAddress);
  if (config.direct_remote_ip) return ipMatcher(config.direct_remote_ip, (s) => s.directRemoteAddress);
  if (config.remote_ip) return ipMatcher(config.remote_ip, (s) => s.downstreamRemoteAddress);
  const shared = sharedMatcher(config);
  if (shared) return shared;
  if (config.not_id) {
    const inner = principalMatcher(config.not_id);
    return (s) => !inner(s);
  }
  return () => false; // `any: false`
}

/**
 * Envoy's `authenticated` principal: a TLS connection; with a name, one of the peer's URI SANs,
 * else one of its DNS SANs, else its subject must match.
 */
function authenticatedMatcher(name: Parameters<typeof stringMatcher>[0] | undefined): Matcher {
  if (!name) return ({ ssl }) => ssl !== undefined;
  const match = stringMatcher(name);
  return ({ ssl }) => {
    if (!ssl) return false;
    return ssl.uriSanPeerCertificate.some(match) || ssl.dnsSansPeerCertificate.some(match) || match(ssl.subjectPeerCertificate);
  };
}

export interface RbacDecision {
  readonly allowed: boolean;
  /** The policy that matched ('' when none did). */
  readonly policyId: string;
}

/** Dynamic metadata Envoy's LOG action sets: whether the access log should record the request. */
export const ACCESS_LOG_HINT_NAMESPACE = 'envoy.common';

/**
 * One RBAC rule set (Envoy's RoleBasedAccessControlEngineImpl): policies tried in name order (a
 * proto map, ordered as Envoy's std::map), the first whose permissions and principals both match
 * decides. ALLOW lets only matches through, DENY stops them, LOG lets everything through and marks
 * matches for the access log.
 */
export class RbacEngine {
  private readonly policies: readonly (readonly [string, Matcher])[];
  private readonly action: 'ALLOW' | 'DENY' | 'LOG';

  constructor(rules: RbacRulesConfig) {
    this.action = rules.action ?? 'ALLOW';
    this.policies = Object.entries(rules.policies ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, policy]) => [name, all([some(policy.permissions.map(permissionMatcher)), some(policy.principals.map(principalMatcher))])] as const);
  }

  decide(subject: RbacSubject): RbacDecision {
    const matched = this.policies.find(([, matches]) => matches(subject))?.[0] ?? '';
    switch (this.action) {
      case 'ALLOW':
        return { allowed: matched !== '', policyId: matched };
      case 'DENY':
        return { allowed: matched === '', policyId: matched };
      case 'LOG':
        subject.dynamicMetadata.set(ACCESS_LOG_HINT_NAMESPACE, { ...subject.dynamicMetadata.get(ACCESS_LOG_HINT_NAMESPACE), access_log_hint: matched !== '' });
        return { allowed: true, policyId: matched };
    }
  }
}

/** Envoy's response code details for a denial; whitespace in the policy name becomes `_`. */
export function deniedDetails(policyId: string): string {
  return `rbac_access_denied_matched_policy[${(policyId || 'none').replace(/\s/g, '_')}]`;
}
