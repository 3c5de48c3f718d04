import type { Address, SslConnectionInfo } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';

/**
 * `envoy.service.auth.v3.AttributeContext` as a plain object with the proto's field names:
 * what the gRPC service receives encoded, and what the HTTP service's request is made from.
 */
export interface AttributeContext {
  readonly source: Peer;
  readonly destination: Peer;
  readonly request?: { readonly time: { readonly seconds: number; readonly nanos: number }; readonly http: HttpRequestAttributes };
  readonly context_extensions: Readonly<Record<string, string>>;
  readonly metadata_context: { readonly filter_metadata: Readonly<Record<string, unknown>> };
  readonly tls_session?: { readonly sni: string };
}

interface Peer {
  readonly address: object;
  readonly principal: string;
  readonly certificate: string;
}

export interface HttpRequestAttributes {
  readonly id: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly path: string;
  readonly host: string;
  readonly scheme: string;
  readonly size: number;
  readonly protocol: string;
  readonly body?: string;
  readonly raw_body?: Buffer;
}

/** The address as `envoy.config.core.v3.Address`. */
function addressMessage(address: Address): object {
  if (address.kind === 'socket') return { socket_address: { address: address.ip, port_value: address.port } };
  return { envoy_internal_address: { server_listener_name: address.serverListenerName, endpoint_id: address.endpointId } };
}

/** Envoy's principal of a certificate: its first URI SAN, else its first DNS SAN, else its subject. */
function peerPrincipal(ssl: SslConnectionInfo | undefined): string {
  if (!ssl) return '';
  return ssl.uriSanPeerCertificate[0] ?? ssl.dnsSansPeerCertificate[0] ?? ssl.subjectPeerCertificate;
}

function localPrincipal(ssl: SslConnectionInfo | undefined): string {
  if (!ssl) return '';
  return ssl.uriSanLocalCertificate[0] ?? ssl.subjectLocalCertificate;
}

export interface ConnectionAttributes {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  readonly ssl: SslConnectionInfo | undefined;
  readonly includePeerCertificate: boolean;
  readonly includeTlsSession: boolean;
}

/** The source and destination peers (and TLS session) of a connection, as Envoy's CheckRequestUtils sets them. */
export function connectionAttributes(connection: ConnectionAttributes): Pick<AttributeContext, 'source' | 'destination' | 'tls_session'> {
  const { ssl } = connection;
  return {
    source: {
      address: addressMessage(connection.remoteAddress),
      principal: peerPrincipal(ssl),
      certificate: connection.includePeerCertificate && ssl?.pemPeerCertificate ? encodeURIComponent(ssl.pemPeerCertificate) : '',
    },
    destination: { address: addressMessage(connection.localAddress), principal: localPrincipal(ssl), certificate: '' },
    ...(connection.includeTlsSession && ssl?.sni ? { tls_session: { sni: ssl.sni } } : {}),
  };
}

export interface HttpRequestInput {
  readonly headers: HeaderMap;
  readonly streamId: number;
  readonly protocol: string;
  readonly startTimeMs: number;
  /** Which request headers the service sees. */
  readonly sendsHeader: (name: string) => boolean;
  /** The body buffered for the check (with_request_body), and whether it was cut short. */
  readonly body?: { readonly bytes: Buffer; readonly partial: boolean; readonly packAsBytes: boolean };
}

/**
 * The request's attributes (Envoy's createHttpCheck): its method, path, host and scheme, the
 * headers the filter lets through (several values of one name joined with `,`), and the body
 * it buffered, with `x-envoy-auth-partial-body` saying whether that is all of it.
 */
export function httpRequestAttributes(input: HttpRequestInput): AttributeContext['request'] {
  const headers: Record<string, string> = {};
  for (const [name, value] of input.headers) {
    if (!input.sendsHeader(name)) continue;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const body = input.body;
  if (body) headers['x-envoy-auth-partial-body'] = String(body.partial);
  const contentLength = Number(input.headers.get('content-length') ?? NaN);
  return {
    time: { seconds: Math.floor(input.startTimeMs / 1000), nanos: (input.startTimeMs % 1000) * 1_000_000 },
    http: {
      id: String(input.streamId),
      method: input.headers.get(':method') ?? '',
      headers,
      path: input.headers.get(':path') ?? '',
      host: input.headers.get(':authority') ?? '',
      scheme: input.headers.get(':scheme') ?? '',
      size: Number.isInteger(contentLength) ? contentLength : body ? body.bytes.length : -1,
      protocol: input.protocol,
      ...(body ? (body.packAsBytes ? { raw_body: body.bytes } : { body: body.bytes.toString('utf8') }) : {}),
    },
  };
}
