import { hostname } from 'node:os';
import type { Address } from '../network/address.js';
import type { DynamicMetadata } from '../network/connection-info.js';
import type { FilterState } from '../network/filter-state.js';
import type { SslConnectionInfo } from '../network/ssl-info.js';

/** The connection's or the request's state, as format strings read it. */
export interface FormatInfo {
  readonly startTimeMs: number;
  readonly requestedServerName: string;
  /** The client's JA3 fingerprint, when the TLS inspector computed one. */
  readonly ja3Hash?: string;
  /** The socket's own peer, when a listener filter restored another remote address. */
  readonly directRemoteAddress?: Address | undefined;
  readonly filterState: FilterState;
  readonly dynamicMetadata: DynamicMetadata;
  /** The request is a health check (the health check filter said so). */
  readonly healthCheck?: boolean;
  /** The connection manager decided to trace the request. */
  readonly traced?: boolean;
}

/** Why an access log entry was written (Envoy's `AccessLogType`); listener logs leave it unset. */
export type AccessLogType = 'TcpUpstreamConnected' | 'TcpPeriodic' | 'TcpConnectionEnd' | 'DownstreamEnd';

/** What a format string can read: the downstream connection and, for HTTP, the headers. */
export interface FormatContext {
  readonly connectionId?: number;
  readonly localAddress?: Address;
  readonly remoteAddress?: Address;
  /** The socket's own peer, when `remoteAddress` is another (PROXY protocol, x-forwarded-for). */
  readonly directRemoteAddress?: Address;
  /** What TLS established on the downstream connection, if it is TLS. */
  readonly ssl?: SslConnectionInfo;
  readonly info?: FormatInfo;
  readonly requestHeaders?: { get(name: string): string | undefined };
  readonly responseHeaders?: { get(name: string): string | undefined };
  readonly protocol?: string;
  readonly upstreamCluster?: string;
  readonly upstreamHost?: Address;
  readonly upstreamLocalAddress?: Address;
  readonly upstreamTransportFailureReason?: string;
  readonly accessLogType?: AccessLogType;
  /** What an access log reads once a request or connection is over. */
  readonly outcome?: StreamOutcome;
}

/** How a request (or connection) ended, for access logs. */
export interface StreamOutcome {
  readonly responseCode?: number;
  /** Envoy's response flags (`UF`, `NR`...), comma-separated; empty when none. */
  readonly responseFlags: string;
  /** Envoy's response code details (`via_upstream`, `route_not_found`...). */
  readonly responseCodeDetails?: string;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly durationMs: number;
}

export type Formatter = (context: FormatContext) => string;

type Operator = (context: FormatContext, argument: string | undefined) => string | undefined;

const withoutPort = (a: Address | undefined) => (a === undefined ? undefined : a.kind === 'socket' ? a.ip : a.asString);
/** The socket's own peer: before PROXY protocol restored another, and whatever x-forwarded-for says. */
const directRemote = (c: FormatContext) => c.info?.directRemoteAddress ?? c.directRemoteAddress ?? c.remoteAddress;
const portOf = (a: Address | undefined) => (a?.kind === 'socket' ? String(a.port) : undefined);

/** The command operators nodevoy implements, with Envoy's names and meanings. */
const OPERATORS: Readonly<Record<string, Operator>> = {
  DOWNSTREAM_REMOTE_ADDRESS: (c) => c.remoteAddress?.asString,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (c) => withoutPort(c.remoteAddress),
  DOWNSTREAM_REMOTE_PORT: (c) => portOf(c.remoteAddress),
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: (c) => directRemote(c)?.asString,
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: (c) => withoutPort(directRemote(c)),
  DOWNSTREAM_LOCAL_ADDRESS: (c) => c.localAddress?.asString,
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (c) => withoutPort(c.localAddress),
  DOWNSTREAM_LOCAL_PORT: (c) => portOf(c.localAddress),
  REQUESTED_SERVER_NAME: (c) => c.info?.requestedServerName || undefined,
  TLS_JA3_FINGERPRINT: (c) => c.info?.ja3Hash || undefined,
  DOWNSTREAM_TLS_VERSION: (c) => c.ssl?.tlsVersion || undefined,
  DOWNSTREAM_TLS_CIPHER: (c) => c.ssl?.ciphersuite || undefined,
  DOWNSTREAM_PEER_URI_SAN: (c) => c.ssl?.uriSanPeerCertificate.join(',') || undefined,
  DOWNSTREAM_PEER_DNS_SAN: (c) => c.ssl?.dnsSansPeerCertificate.join(',') || undefined,
  DOWNSTREAM_LOCAL_URI_SAN: (c) => c.ssl?.uriSanLocalCertificate.join(',') || undefined,
  DOWNSTREAM_PEER_SUBJECT: (c) => c.ssl?.subjectPeerCertificate || undefined,
  DOWNSTREAM_PEER_ISSUER: (c) => c.ssl?.issuerPeerCertificate || undefined,
  DOWNSTREAM_LOCAL_SUBJECT: (c) => c.ssl?.subjectLocalCertificate || undefined,
  DOWNSTREAM_PEER_FINGERPRINT_256: (c) => c.ssl?.sha256PeerCertificateDigest || undefined,
  DOWNSTREAM_PEER_SERIAL: (c) => c.ssl?.serialNumberPeerCertificate || undefined,
  DOWNSTREAM_PEER_CERT: (c) => (c.ssl?.pemPeerCertificate ? encodeURIComponent(c.ssl.pemPeerCertificate) : undefined),
  CONNECTION_ID: (c) => (c.connectionId === undefined ? undefined : String(c.connectionId)),
  UPSTREAM_CLUSTER: (c) => c.upstreamCluster,
  UPSTREAM_HOST: (c) => c.upstreamHost?.asString,
  UPSTREAM_REMOTE_ADDRESS: (c) => c.upstreamHost?.asString,
  UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (c) => withoutPort(c.upstreamHost),
  UPSTREAM_REMOTE_PORT: (c) => portOf(c.upstreamHost),
  UPSTREAM_LOCAL_ADDRESS: (c) => c.upstreamLocalAddress?.asString,
  UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (c) => withoutPort(c.upstreamLocalAddress),
  UPSTREAM_LOCAL_PORT: (c) => portOf(c.upstreamLocalAddress),
  // Envoy writes this one with underscores for spaces, so a log line splits on spaces.
  UPSTREAM_TRANSPORT_FAILURE_REASON: (c) => c.upstreamTransportFailureReason?.replaceAll(' ', '_'),
  ACCESS_LOG_TYPE: (c) => c.accessLogType ?? 'NotSet',
  PROTOCOL: (c) => c.protocol,
  HOSTNAME: () => hostname(),
  START_TIME: (c) => (c.info ? new Date(c.info.startTimeMs).toISOString() : undefined),
  RESPONSE_CODE: (c) => (c.outcome ? String(c.outcome.responseCode ?? 0) : undefined),
  RESPONSE_FLAGS: (c) => (c.outcome ? c.outcome.responseFlags || '-' : undefined),
  RESPONSE_CODE_DETAILS: (c) => c.outcome?.responseCodeDetails,
  BYTES_RECEIVED: (c) => (c.outcome ? String(c.outcome.bytesReceived) : undefined),
  BYTES_SENT: (c) => (c.outcome ? String(c.outcome.bytesSent) : undefined),
  DURATION: (c) => (c.outcome ? String(Math.round(c.outcome.durationMs)) : undefined),
  REQ: (c, arg) => (arg === undefined ? undefined : firstOf(arg, (name) => c.requestHeaders?.get(name))),
  RESP: (c, arg) => (arg === undefined ? undefined : firstOf(arg, (name) => c.responseHeaders?.get(name))),
  DYNAMIC_METADATA: (c, arg) => {
    const [namespace = '', ...path] = (arg ?? '').split(':');
    let value: unknown = c.info?.dynamicMetadata.get(namespace);
    for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    return value === undefined ? undefined : typeof value === 'string' ? value : structJson(value);
  },
  FILTER_STATE: (c, arg) => {
    const [key = ''] = (arg ?? '').split(':');
    const value = c.info?.filterState.get(key);
    return value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
  },
};

/** Metadata as Envoy prints a protobuf Struct: JSON with every object's keys in order. */
function structJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item) ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : item,
  );
}

/** `%REQ(X?Y)%`: the first of the alternatives that is present. */
function firstOf(argument: string, lookup: (name: string) => string | undefined): string | undefined {
  for (const name of argument.split('?')) {
    const value = lookup(name.trim().toLowerCase());
    if (value !== undefined) return value;
  }
  return undefined;
}

export class FormatError extends Error {}

/** Operators whose value Envoy writes as a JSON number in a `json_format`. */
const NUMERIC = new Set([
  'RESPONSE_CODE', 'BYTES_RECEIVED', 'BYTES_SENT', 'DURATION', 'CONNECTION_ID',
  'DOWNSTREAM_REMOTE_PORT', 'DOWNSTREAM_LOCAL_PORT', 'UPSTREAM_REMOTE_PORT', 'UPSTREAM_LOCAL_PORT',
]);
/** Operators whose value may be structured (an object in metadata or filter state). */
const STRUCTURED = new Set(['DYNAMIC_METADATA', 'FILTER_STATE']);

/** `%NAME%`, `%NAME(argument)%`, `%NAME:max_length%`. */
const COMMAND = '%([A-Z_0-9]+)(?:\\(([^)]*)\\))?(?::(\\d+))?%';
const SINGLE_COMMAND = new RegExp(`^${COMMAND}$`);

/** One operator of a format (its regex match), compiled: its value, cut to its length, if it has one. */
function compileCommand(m: RegExpExecArray): { readonly name: string; readonly value: (context: FormatContext) => string | undefined } {
  const name = m[1] as string;
  const operator = OPERATORS[name];
  if (!operator) throw new FormatError(`Not supported field in StreamInfo: ${name}`);
  const argument = m[2];
  const maxLength = m[3] === undefined ? undefined : Number(m[3]);
  return {
    name,
    value: (context) => {
      const value = operator(context, argument);
      return value === undefined || maxLength === undefined ? value : value.slice(0, maxLength);
    },
  };
}

/**
 * A format that is exactly one operator (`%RESPONSE_CODE%`), evaluated to a typed JSON value as
 * Envoy's `json_format` writes it: numbers as numbers, a missing value as null. Undefined when
 * the text is anything else.
 */
export function compileTypedCommand(text: string): ((context: FormatContext) => string | number | object | null) | undefined {
  const m = SINGLE_COMMAND.exec(text);
  if (!m) return undefined;
  const { name, value } = compileCommand(m);
  return (context) => {
    const raw = value(context);
    if (raw === undefined) return null;
    if (NUMERIC.has(name)) return Number(raw);
    if (STRUCTURED.has(name) && /^[[{]/.test(raw)) return JSON.parse(raw) as object;
    return raw;
  };
}

/**
 * Compiles an Envoy substitution format string (`%DOWNSTREAM_LOCAL_PORT%`, `%REQ(x-foo)%`...).
 * A value that is not available renders as `missing` (Envoy prints `-` in access logs; header
 * values use an empty string). Unknown operators throw FormatError, as Envoy rejects them.
 */
export function compileFormat(format: string, missing = ''): Formatter {
  const parts: (string | ((c: FormatContext) => string))[] = [];
  const pattern = new RegExp(`${COMMAND}|%%`, 'g');
  let last = 0;
  for (let m = pattern.exec(format); m; m = pattern.exec(format)) {
    if (m.index > last) parts.push(format.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[0] === '%%') {
      parts.push('%');
      continue;
    }
    const { value } = compileCommand(m);
    parts.push((context) => value(context) ?? missing);
  }
  if (last < format.length) parts.push(format.slice(last));
  if (parts.every((p) => typeof p === 'string')) {
    const constant = parts.join('');
    return () => constant;
  }
  return (context) => parts.map((p) => (typeof p === 'string' ? p : p(context))).join('');
}
