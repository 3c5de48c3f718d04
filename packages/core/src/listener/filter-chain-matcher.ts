import type { FilterChainMatchConfig } from '../config/envoy/listener.js';
import type { Address } from '../network/address.js';
import type { ConnectionInfo } from '../network/connection-info.js';
import { cidrContains, parseCidr, type Cidr } from './cidr.js';

/**
 * Envoy uses this stand-in for a non-IP (internal) address: it only matches the catch-all
 * `0.0.0.0/0` or an unset IP criterion.
 */
const NON_IP_PLACEHOLDER = '255.255.255.255';

interface CompiledMatch<T> {
  readonly chain: T;
  readonly destinationPort?: number;
  readonly destinationRanges: Cidr[];
  readonly serverNames: string[];
  readonly transportProtocol: string;
  readonly applicationProtocols: string[];
  readonly directSourceRanges: Cidr[];
  readonly sourceType: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  readonly sourceRanges: Cidr[];
  readonly sourcePorts: number[];
}

interface MatchInput {
  readonly localIp: string;
  readonly localPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly serverName: string;
  readonly transportProtocol: string;
  readonly applicationProtocols: readonly string[];
}

/** A score per level: -1 no match, 0 criterion unset (wildcard), higher is more specific. */
type Level<T> = (m: CompiledMatch<T>, input: MatchInput) => number;

const ipScore = (ranges: Cidr[], ip: string): number => {
  if (ranges.length === 0) return 0;
  let best = -1;
  for (const range of ranges) if (cidrContains(range, ip)) best = Math.max(best, 1 + range.prefixLen);
  return best;
};

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');

function serverNameScore(names: string[], serverName: string): number {
  if (names.length === 0) return 0;
  if (serverName === '') return -1;
  let best = -1;
  for (const name of names) {
    if (name === serverName) return 10_000;
    if (name.startsWith('*.') && serverName.endsWith(name.slice(1))) best = Math.max(best, name.length);
  }
  return best;
}

/** Envoy's matching order; at each level only the most specific candidates go on. */
function levels<T>(): Level<T>[] {
  return [
    (m, i) => (m.destinationPort === undefined ? 0 : m.destinationPort === i.localPort ? 1 : -1),
    (m, i) => ipScore(m.destinationRanges, i.localIp),
    (m, i) => serverNameScore(m.serverNames, i.serverName),
    (m, i) => (m.transportProtocol === '' ? 0 : m.transportProtocol === i.transportProtocol ? 1 : -1),
    (m, i) => (m.applicationProtocols.length === 0 ? 0 : m.applicationProtocols.some((p) => i.applicationProtocols.includes(p)) ? 1 : -1),
    (m, i) => ipScore(m.directSourceRanges, i.remoteIp),
    (m, i) => {
      if (m.sourceType === 'ANY') return 0;
      const local = isLoopback(i.remoteIp) || i.remoteIp === i.localIp;
      return (m.sourceType === 'SAME_IP_OR_LOOPBACK') === local ? 1 : -1;
    },
    (m, i) => ipScore(m.sourceRanges, i.remoteIp),
    (m, i) => (m.sourcePorts.length === 0 ? 0 : m.sourcePorts.includes(i.remotePort) ? 1 : -1),
  ];
}

export function compileMatch<T>(chain: T, match: FilterChainMatchConfig | undefined): CompiledMatch<T> {
  const ranges = (list: FilterChainMatchConfig['prefix_ranges']) =>
    (list ?? []).flatMap((r) => {
      const cidr = parseCidr(r.address_prefix, r.prefix_len ?? (r.address_prefix.includes(':') ? 128 : 32));
      return cidr ? [cidr] : [];
    });
  return {
    chain,
    ...(match?.destination_port !== undefined ? { destinationPort: match.destination_port } : {}),
    destinationRanges: ranges(match?.prefix_ranges),
    serverNames: [...(match?.server_names ?? [])],
    transportProtocol: match?.transport_protocol ?? '',
    applicationProtocols: [...(match?.application_protocols ?? [])],
    directSourceRanges: ranges(match?.direct_source_prefix_ranges),
    sourceType: match?.source_type ?? 'ANY',
    sourceRanges: ranges(match?.source_prefix_ranges),
    sourcePorts: [...(match?.source_ports ?? [])],
  };
}

/** Picks the filter chain for a new connection, or the default chain, or none. */
export class FilterChainMatcher<T> {
  private readonly levels = levels<T>();

  constructor(
    private readonly matches: readonly CompiledMatch<T>[],
    private readonly defaultChain: T | undefined,
  ) {}

  match(local: Address, remote: Address, info: ConnectionInfo): T | undefined {
    const input: MatchInput = {
      localIp: local.kind === 'socket' ? local.ip : NON_IP_PLACEHOLDER,
      localPort: local.kind === 'socket' ? local.port : 0,
      remoteIp: remote.kind === 'socket' ? remote.ip : NON_IP_PLACEHOLDER,
      remotePort: remote.kind === 'socket' ? remote.port : 0,
      serverName: info.requestedServerName,
      transportProtocol: info.transportProtocol || 'raw_buffer',
      applicationProtocols: info.applicationProtocols,
    };
    let candidates = this.matches;
    for (const level of this.levels) {
      let best = -1;
      let kept: CompiledMatch<T>[] = [];
      for (const candidate of candidates) {
        const score = level(candidate, input);
        if (score > best) {
          best = score;
          kept = [candidate];
        } else if (score === best && score >= 0) {
          kept.push(candidate);
        }
      }
      if (best < 0) return this.defaultChain;
      candidates = kept;
    }
    return candidates[0]?.chain ?? this.defaultChain;
  }
}

/** A canonical text of a match, to find two chains with the same rules (an Envoy config error). */
export function matchSignature(match: FilterChainMatchConfig | undefined): string {
  if (!match) return '{}';
  const sorted = Object.entries(match)
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => [k, Array.isArray(v) ? [...v].map((x) => JSON.stringify(x)).sort() : v] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return sorted.length === 0 ? '{}' : JSON.stringify(Object.fromEntries(sorted));
}
