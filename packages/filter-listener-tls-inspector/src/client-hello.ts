import { createHash } from 'node:crypto';

/** What the first bytes of a connection say about TLS. */
export type ClientHelloResult =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'not_tls' }
  | { readonly kind: 'client_hello'; readonly hello: ClientHello; readonly bytes: number };

export interface ClientHello {
  /** The server name asked for (SNI `host_name`), lower-cased; '' when none. */
  readonly serverName: string;
  /** ALPN protocols offered, in the client's order. */
  readonly alpn: readonly string[];
  /** The JA3 fingerprint (MD5 of version, ciphers, extensions, groups, point formats). */
  readonly ja3: string;
}

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_EC_POINT_FORMATS = 11;
const EXT_ALPN = 16;

/**
 * Reads a TLS ClientHello from the first bytes of a connection without consuming them: the
 * handshake message may span several records, which are joined. Only the fields a listener
 * matches on are taken (SNI and ALPN) plus what JA3 needs; the handshake itself is node:tls's.
 */
export function parseClientHello(data: Buffer): ClientHelloResult {
  const handshake: Buffer[] = [];
  let handshakeLength = 0;
  let at = 0;
  let needed: number | undefined;
  while (needed === undefined || handshakeLength < needed) {
    if (data.length < at + 5) return incompleteOr(data, at);
    if (data[at] !== HANDSHAKE || data[at + 1] !== 3) return { kind: 'not_tls' };
    const recordLength = data.readUInt16BE(at + 3);
    if (data.length < at + 5 + recordLength) return { kind: 'incomplete' };
    const fragment = data.subarray(at + 5, at + 5 + recordLength);
    handshake.push(fragment);
    handshakeLength += fragment.length;
    at += 5 + recordLength;
    if (needed === undefined && handshakeLength >= 4) {
      const first = Buffer.concat(handshake);
      if (first[0] !== CLIENT_HELLO) return { kind: 'not_tls' };
      needed = 4 + first.readUIntBE(1, 3);
    }
  }
  const message = Buffer.concat(handshake).subarray(4, needed);
  const hello = readClientHello(message);
  return hello ? { kind: 'client_hello', hello, bytes: at } : { kind: 'not_tls' };
}

/** Too short to tell: but a first byte that is not a handshake record already says "not TLS". */
function incompleteOr(data: Buffer, at: number): ClientHelloResult {
  if (at === 0 && data.length > 0 && data[0] !== HANDSHAKE) return { kind: 'not_tls' };
  if (at === 0 && data.length > 1 && data[1] !== 3) return { kind: 'not_tls' };
  return { kind: 'incomplete' };
}

/** Reads the body of a ClientHello; undefined when it is malformed. */
function readClientHello(body: Buffer): ClientHello | undefined {
  const reader = new Reader(body);
  const version = reader.u16();
  reader.skip(32);
  reader.skip(reader.u8());
  const ciphers = reader.u16List(reader.u16());
  reader.skip(reader.u8());
  let serverName = '';
  let alpn: string[] = [];
  const extensionTypes: number[] = [];
  let groups: number[] = [];
  let pointFormats: number[] = [];
  if (reader.remaining > 0) {
    const end = reader.offset + reader.u16();
    while (reader.offset < end && reader.ok) {
      const type = reader.u16();
      const extension = new Reader(reader.bytes(reader.u16()));
      extensionTypes.push(type);
      if (type === EXT_SERVER_NAME) serverName = readServerName(extension);
      else if (type === EXT_ALPN) alpn = readAlpn(extension);
      else if (type === EXT_SUPPORTED_GROUPS) groups = extension.u16List(extension.u16());
      else if (type === EXT_EC_POINT_FORMATS) pointFormats = [...extension.bytes(extension.u8())];
      if (!extension.ok) return undefined;
    }
  }
  if (!reader.ok) return undefined;
  return { serverName, alpn, ja3: ja3(version, ciphers, extensionTypes, groups, pointFormats) };
}

function readServerName(extension: Reader): string {
  const list = new Reader(extension.bytes(extension.u16()));
  while (list.remaining > 0 && list.ok) {
    const nameType = list.u8();
    const name = list.bytes(list.u16());
    if (nameType === 0) return name.toString('latin1').toLowerCase();
  }
  return '';
}

function readAlpn(extension: Reader): string[] {
  const list = new Reader(extension.bytes(extension.u16()));
  const protocols: string[] = [];
  while (list.remaining > 0 && list.ok) protocols.push(list.bytes(list.u8()).toString('latin1'));
  return protocols;
}

/** GREASE values (RFC 8701) are left out of JA3, as every JA3 implementation does. */
const isGrease = (value: number) => (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);

function ja3(version: number, ciphers: number[], extensions: number[], groups: number[], pointFormats: number[]): string {
  const list = (values: number[]) => values.filter((v) => !isGrease(v)).join('-');
  const text = [version, list(ciphers), list(extensions), list(groups), pointFormats.join('-')].join(',');
  return createHash('md5').update(text).digest('hex');
}

/** Big-endian reads that never throw: running past the end only clears `ok`. */
class Reader {
  offset = 0;
  ok = true;

  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  u8(): number {
    return this.take(1)?.readUInt8(0) ?? 0;
  }

  u16(): number {
    return this.take(2)?.readUInt16BE(0) ?? 0;
  }

  bytes(length: number): Buffer {
    return this.take(length) ?? Buffer.alloc(0);
  }

  u16List(byteLength: number): number[] {
    const bytes = this.bytes(byteLength);
    const out: number[] = [];
    for (let i = 0; i + 1 < bytes.length; i += 2) out.push(bytes.readUInt16BE(i));
    return out;
  }

  skip(length: number): void {
    this.take(length);
  }

  private take(length: number): Buffer | undefined {
    if (!this.ok || this.offset + length > this.buffer.length) {
      this.ok = false;
      return undefined;
    }
    const part = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return part;
  }
}
