import { isIP } from 'node:net';

/** A parsed CIDR range; IPv4 ranges also match IPv4-mapped IPv6 addresses. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefixLen: number;
}

export function parseCidr(address: string, prefixLen: number): Cidr | undefined {
  const family = isIP(address);
  if (family === 0) return undefined;
  const width = family === 4 ? 32 : 128;
  if (prefixLen > width) return undefined;
  return { family: family === 4 ? 4 : 6, bits: maskBits(ipToBigInt(address, family), prefixLen, width), prefixLen };
}

/** Whether `ip` (a literal) falls inside `range`. */
export function cidrContains(range: Cidr, ip: string): boolean {
  let family = isIP(ip);
  let literal = ip;
  if (family === 6 && range.family === 4) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (!mapped?.[1]) return false;
    literal = mapped[1];
    family = 4;
  }
  if (family !== range.family) return false;
  const width = family === 4 ? 32 : 128;
  return maskBits(ipToBigInt(literal, family), range.prefixLen, width) === range.bits;
}

function maskBits(value: bigint, prefixLen: number, width: number): bigint {
  if (prefixLen === 0) return 0n;
  const shift = BigInt(width - prefixLen);
  return (value >> shift) << shift;
}

function ipToBigInt(ip: string, family: number): bigint {
  if (family === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  let text = ip;
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail?.[1]) {
    const v4 = ipToBigInt(v4Tail[1], 4);
    text = text.slice(0, -v4Tail[1].length) + `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...new Array<string>(zeros).fill('0'), ...tailParts];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
