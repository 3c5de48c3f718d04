import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { cidrContains, socketAddress, type Address, type Cidr, type SocketAddress } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';

/** What a connection manager's config says about x-forwarded-for and its trust. */
export interface ForwardedForPolicy {
  readonly useRemoteAddress: boolean;
  /** `xff_num_trusted_hops`: proxies in front whose x-forwarded-for entries are trusted. */
  readonly xffNumTrustedHops: number;
  readonly skipXffAppend: boolean;
  /** `internal_address_config.cidr_ranges`: none, as Envoy 1.40's default, means no client is internal. */
  readonly internalRanges: readonly Cidr[];
}

/** The connection manager's verdict on who sent a request. */
export interface ForwardedFor {
  /** Envoy's downstream remote address: the client as decided, or the peer when nothing says otherwise. */
  readonly clientAddress: Address;
  /** An external client at the edge (`use_remote_address` and not internal): x-envoy-* headers it sent are not trusted. */
  readonly edge: boolean;
}

/** Headers only Envoy's own hops may set: removed from every request that is not internal. */
const INTERNAL_ONLY = [
  'x-envoy-retriable-status-codes',
  'x-envoy-retriable-header-names',
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-force-trace',
  'x-envoy-ip-tags',
  'x-envoy-original-url',
  'x-envoy-hedge-on-per-try-timeout',
];
/** And from edge requests, these too. */
const EDGE_ONLY = ['x-envoy-decorator-operation', 'x-envoy-downstream-service-cluster', 'x-envoy-downstream-service-node'];

/**
 * Envoy's getLastAddressFromXFF: the entry `skip` places from the right end of x-forwarded-for
 * (port 0), and whether it was the only entry with nothing skipped (what lets an address count as
 * internal).
 */
function addressFromXff(headers: HeaderMap, skip: number): { address: SocketAddress | undefined; single: boolean } {
  const values = headers.getAll('x-forwarded-for');
  if (values.length === 0) return { address: undefined, single: false };
  const entries = values.join(',').split(',');
  const ip = entries[entries.length - 1 - skip]?.trim();
  if (ip === undefined || isIP(ip) === 0) return { address: undefined, single: false };
  return { address: socketAddress(ip, 0), single: entries.length === 1 && skip === 0 };
}

const isLoopback = (address: SocketAddress) => (address.family === 4 ? address.ip.startsWith('127.') : address.ip === '::1');

/**
 * The address Envoy writes into x-forwarded-for for a loopback peer: its node's, the first IPv4
 * address of an interface that is not loopback (Envoy's getLocalAddress), else 127.0.0.1.
 */
export const NODE_ADDRESS: string = (() => {
  let found = '127.0.0.1';
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family !== 'IPv4') continue;
      found = address.address;
      if (!address.internal) return found;
    }
  }
  return found;
})();

/**
 * Envoy's mutateRequestHeaders, the part about who sent the request: the client address from
 * x-forwarded-for (trusted hops) or the peer, the peer appended to x-forwarded-for with
 * `use_remote_address`, x-forwarded-proto, internal or edge, and the x-envoy-* headers that follow.
 */
export function applyForwardedFor(headers: HeaderMap, peer: Address, tls: boolean, policy: ForwardedForPolicy): ForwardedFor {
  const proto = tls ? 'https' : 'http';
  headers.remove('x-envoy-internal');
  let client: SocketAddress | undefined;
  let trustedChecks = false;
  if (policy.useRemoteAddress) {
    trustedChecks = !headers.has('x-forwarded-for');
    if (policy.xffNumTrustedHops > 0) client = addressFromXff(headers, policy.xffNumTrustedHops - 1).address;
    if (peer.kind === 'socket') {
      client ??= peer;
      if (!policy.skipXffAppend) {
        const appended = isLoopback(peer) ? NODE_ADDRESS : peer.ip;
        const existing = headers.getAll('x-forwarded-for').join(',');
        headers.set('x-forwarded-for', existing ? `${existing},${appended}` : appended);
      }
    }
    // A trusted proxy's x-forwarded-proto is kept; anyone else's is overwritten.
    if (policy.xffNumTrustedHops === 0 || !headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', proto);
  } else {
    const found = addressFromXff(headers, policy.xffNumTrustedHops);
    client = found.address;
    trustedChecks = found.single;
  }
  if (!headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', proto);
  const internal = trustedChecks && client !== undefined && policy.internalRanges.some((range) => cidrContains(range, client.ip));
  const edge = !internal && policy.useRemoteAddress;
  if (internal) headers.set('x-envoy-internal', 'true');
  else {
    for (const name of INTERNAL_ONLY) headers.remove(name);
    if (edge) for (const name of EDGE_ONLY) headers.remove(name);
  }
  const clientAddress = client ?? peer;
  if (edge && clientAddress.kind === 'socket') headers.set('x-envoy-external-address', clientAddress.ip);
  return { clientAddress, edge };
}
