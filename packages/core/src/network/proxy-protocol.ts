import { isIP } from 'node:net';
import { socketAddress, type SocketAddress } from './address.js';

/**
 * The HAProxy PROXY protocol (v1 text, v2 binary), which tells a server the addresses of the
 * connection a proxy in front of it accepted: read by the `proxy_protocol` listener filter,
 * written by the `upstream_proxy_protocol` transport socket.
 */
export interface ProxyProtocolHeader {
  readonly version: 1 | 2;
  /** LOCAL (a health check from the proxy itself, or v1 `UNKNOWN`): the connection's own addresses stand. */
  readonly command: 'PROXY' | 'LOCAL';
  readonly source?: SocketAddress;
  readonly destination?: SocketAddress;
  /** v2 type-length-value extensions. */
  readonly tlvs: readonly { readonly type: number; readonly value: Buffer }[];
  /** Bytes the header took. */
  readonly length: number;
}

export type ProxyProtocolParse =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'error'; readonly version: 1 | 2; readonly reason: string }
  | { readonly kind: 'header'; readonly header: ProxyProtocolHeader };

const V1_PREFIX = Buffer.from('PROXY ');
const V1_MAX = 107;
export const PROXY_PROTOCOL_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED = 16;

/** Reads a PROXY header at the start of `data`, as much as has arrived. */
export function parseProxyProtocol(data: Buffer): ProxyProtocolParse {
  if (startsWithPrefixOf(data, PROXY_PROTOCOL_V2_SIGNATURE)) return data.length < V2_FIXED ? { kind: 'incomplete' } : parseV2(data);
  if (startsWithPrefixOf(data, V1_PREFIX)) return data.length < V1_PREFIX.length ? { kind: 'incomplete' } : parseV1(data);
  return { kind: 'absent' };
}

/** True when `data` is a prefix of `prefix` or starts with it: the header may still be arriving. */
function startsWithPrefixOf(data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length);
  return n > 0 && data.subarray(0, n).equals(prefix.subarray(0, n));
}

function parseV1(data: Buffer): ProxyProtocolParse {
  const end = data.indexOf('\r\n');
  if (end < 0) return data.length >= V1_MAX ? { kind: 'error', version: 1, reason: 'header longer than 107 bytes' } : { kind: 'incomplete' };
  if (end + 2 > V1_MAX) return { kind: 'error', version: 1, reason: 'header longer than 107 bytes' };
  const line = data.subarray(0, end).toString('latin1');
  const length = end + 2;
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') return { kind: 'header', header: { version: 1, command: 'LOCAL', tlvs: [], length } };
  const [, protocol, src, dst, sport, dport] = parts;
  const family = protocol === 'TCP4' ? 4 : protocol === 'TCP6' ? 6 : 0;
  if (parts.length !== 6 || family === 0 || isIP(src ?? '') !== family || isIP(dst ?? '') !== family || !isPort(sport) || !isPort(dport)) {
    return { kind: 'error', version: 1, reason: `malformed v1 header: ${JSON.stringify(line)}` };
  }
  const ip = (text: string) => (family === 6 ? canonicalIpv6(text) : text);
  return {
    kind: 'header',
    header: { version: 1, command: 'PROXY', source: socketAddress(ip(src as string), Number(sport)), destination: socketAddress(ip(dst as string), Number(dport)), tlvs: [], length },
  };
}

function isPort(text: string | undefined): boolean {
  return text !== undefined && /^(0|[1-9]\d{0,4})$/.test(text) && Number(text) <= 65535;
}

function parseV2(data: Buffer): ProxyProtocolParse {
  const versionCommand = data[12] as number;
  const familyTransport = data[13] as number;
  const bodyLength = data.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) return { kind: 'error', version: 2, reason: `unsupported version ${versionCommand >> 4}` };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'error', version: 2, reason: `unsupported command ${command}` };
  if (data.length < V2_FIXED + bodyLength) return { kind: 'incomplete' };
  const body = data.subarray(V2_FIXED, V2_FIXED + bodyLength);
  const length = V2_FIXED + bodyLength;
  const family = familyTransport >> 4;
  if (command === 0 || family === 0) return { kind: 'header', header: { version: 2, command: 'LOCAL', tlvs: [], length } };
  if (family === 3) return { kind: 'error', version: 2, reason: 'unsupported address family AF_UNIX' };
  const addressLength = family === 1 ? 12 : family === 2 ? 36 : -1;
  if (addressLength < 0 || body.length < addressLength) return { kind: 'error', version: 2, reason: `unsupported or short address block (family ${family})` };
  const ipLength = family === 1 ? 4 : 16;
  const ip = (offset: number) => (family === 1 ? [...body.subarray(offset, offset + 4)].join('.') : ipv6(body.subarray(offset, offset + 16)));
  const tlvs = readTlvs(body.subarray(addressLength));
  if (tlvs === undefined) return { kind: 'error', version: 2, reason: 'malformed TLVs' };
  return {
    kind: 'header',
    header: {
      version: 2,
      command: 'PROXY',
      source: socketAddress(ip(0), body.readUInt16BE(2 * ipLength)),
      destination: socketAddress(ip(ipLength), body.readUInt16BE(2 * ipLength + 2)),
      tlvs,
      length,
    },
  };
}

function readTlvs(block: Buffer): { type: number; value: Buffer }[] | undefined {
  const tlvs: { type: number; value: Buffer }[] = [];
  for (let at = 0; at < block.length; ) {
    if (at + 3 > block.length) return undefined;
    const type = block[at] as number;
    const length = block.readUInt16BE(at + 1);
    if (at + 3 + length > block.length) return undefined;
    tlvs.push({ type, value: block.subarray(at + 3, at + 3 + length) });
    at += 3 + length;
  }
  return tlvs;
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalIpv6(groups.join(':'));
}

/** The canonical short form of an IPv6 address, as addresses are compared and printed everywhere else. */
function canonicalIpv6(text: string): string {
  return new URL(`http://[${text}]`).hostname.slice(1, -1);
}

/** A header for a connection from `source` to `destination` (the downstream one, as seen by the proxy). */
export function encodeProxyProtocol(version: 1 | 2, source: SocketAddress, destination: SocketAddress, tlvs: readonly { type: number; value: Buffer }[] = []): Buffer {
  const family = source.family === 6 || destination.family === 6 ? 6 : 4;
  if (version === 1) return Buffer.from(`PROXY TCP${family} ${source.ip} ${destination.ip} ${source.port} ${destination.port}\r\n`, 'latin1');
  const addresses = Buffer.alloc(family === 4 ? 12 : 36);
  const ipLength = family === 4 ? 4 : 16;
  writeIp(addresses, 0, source.ip, family);
  writeIp(addresses, ipLength, destination.ip, family);
  addresses.writeUInt16BE(source.port, 2 * ipLength);
  addresses.writeUInt16BE(destination.port, 2 * ipLength + 2);
  const tlvBlock = Buffer.concat(tlvs.map((tlv) => Buffer.concat([Buffer.from([tlv.type, tlv.value.length >> 8, tlv.value.length & 0xff]), tlv.value])));
  const body = Buffer.concat([addresses, tlvBlock]);
  const fixed = Buffer.from([0x21, family === 4 ? 0x11 : 0x21, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([PROXY_PROTOCOL_V2_SIGNATURE, fixed, body]);
}

function writeIp(out: Buffer, offset: number, ip: string, family: 4 | 6): void {
  if (family === 4) {
    ip.split('.').forEach((octet, i) => (out[offset + i] = Number(octet)));
    return;
  }
  const mapped = isIP(ip) === 4 ? `::ffff:${ip}` : ip;
  const [head = '', tail = ''] = mapped.split('::');
  const expand = (part: string) => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ipv4Groups(group) : [parseInt(group, 16)])));
  const left = expand(head);
  const right = expand(tail);
  const groups = mapped.includes('::') ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  groups.forEach((group, i) => out.writeUInt16BE(group, offset + 2 * i));
}

function ipv4Groups(ip: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}
