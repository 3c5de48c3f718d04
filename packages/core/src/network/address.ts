import { isIP } from 'node:net';

/** An IP address and port of a kernel socket. */
export interface SocketAddress {
  readonly kind: 'socket';
  readonly ip: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** `127.0.0.1:80` or `[::1]:80`, as Envoy prints addresses. */
  readonly asString: string;
}

/**
 * An Envoy internal address: `envoy://<server_listener_name>/<endpoint_id>`. No kernel socket
 * exists behind it; the client connection factory of this kind reaches a listener in-process.
 */
export interface InternalAddress {
  readonly kind: 'envoy_internal';
  readonly serverListenerName: string;
  readonly endpointId: string;
  readonly asString: string;
}

export type Address = SocketAddress | InternalAddress;
export type AddressKind = Address['kind'];

export function socketAddress(ip: string, port: number): SocketAddress {
  const family = isIP(ip) === 6 ? 6 : 4;
  return { kind: 'socket', ip, port, family, asString: family === 6 ? `[${ip}]:${port}` : `${ip}:${port}` };
}

/**
 * Parses `10.0.0.1:8080` or `[::1]:8080` (an IP literal and a port, as Envoy's
 * parseInternetAddressAndPort); anything else, hostnames included, is undefined.
 */
export function parseIpAndPort(text: string): SocketAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const ip = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  const family = isIP(ip);
  if (port > 65535 || family === 0 || (family === 6) !== (match[1] !== undefined)) return undefined;
  return socketAddress(ip, port);
}

export function internalAddress(serverListenerName: string, endpointId = ''): InternalAddress {
  return {
    kind: 'envoy_internal',
    serverListenerName,
    endpointId,
    asString: `envoy://${serverListenerName}/${endpointId}`,
  };
}

/** The local address of every client connection to an internal listener, as in Envoy. */
export const INTERNAL_CLIENT_ADDRESS: InternalAddress = internalAddress('internal_client_address');

/** The address in Envoy's config/admin JSON shape. */
export function addressToProto(address: Address): Record<string, unknown> {
  if (address.kind === 'socket') return { socket_address: { address: address.ip, port_value: address.port } };
  return {
    envoy_internal_address: {
      server_listener_name: address.serverListenerName,
      ...(address.endpointId ? { endpoint_id: address.endpointId } : {}),
    },
  };
}

/**
 * The address as it appears inside stat names: Envoy replaces `:` with `_`
 * (`listener.127.0.0.1_19000.`, `listener.[__1]_80.`).
 */
export function addressStatName(address: Address): string {
  return address.asString.replace(/:/g, '_');
}
