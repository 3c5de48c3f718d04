/**
 * HTTP headers as Envoy holds them: an ordered list of lowercase (name, value) pairs, the
 * request line as pseudo-headers (`:method`, `:path`, `:authority`, `:scheme`) and the status as
 * `:status`, whatever the wire protocol. Repeated names stay repeated.
 */
export class HeaderMap {
  private readonly entries: [string, string][] = [];

  static from(pairs: Iterable<readonly [string, string]>): HeaderMap {
    const map = new HeaderMap();
    for (const [name, value] of pairs) map.add(name, value);
    return map;
  }

  /** From node:http's `rawHeaders` (`[name, value, name, value, ...]`). */
  static fromRaw(raw: readonly string[]): HeaderMap {
    const map = new HeaderMap();
    for (let i = 0; i + 1 < raw.length; i += 2) map.add(raw[i] as string, raw[i + 1] as string);
    return map;
  }

  /** From node:http2's header object. */
  static fromHttp2(headers: Record<string, string | string[] | undefined>): HeaderMap {
    const map = new HeaderMap();
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) map.add(name, String(v));
    }
    return map;
  }

  get size(): number {
    return this.entries.length;
  }

  get(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.entries.find(([n]) => n === key)?.[1];
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.entries.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  add(name: string, value: string): void {
    this.entries.push([name.toLowerCase(), value]);
  }

  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const index = this.entries.findIndex(([n]) => n === key);
    this.remove(key);
    if (index >= 0 && index <= this.entries.length) this.entries.splice(index, 0, [key, value]);
    else this.entries.push([key, value]);
  }

  remove(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]?.[0] === key) this.entries.splice(i, 1);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries[Symbol.iterator]();
  }

  /** Regular headers only, as `rawHeaders`-style pairs for node:http. */
  toRaw(): string[] {
    const out: string[] = [];
    for (const [name, value] of this.entries) if (!name.startsWith(':')) out.push(name, value);
    return out;
  }

  /** All headers as a node:http2 header object (repeated names become arrays). */
  toHttp2(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of this.entries) {
      const existing = out[name];
      if (existing === undefined) out[name] = value;
      else out[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return out;
  }

  clone(): HeaderMap {
    return HeaderMap.from(this.entries);
  }
}

/** Hop-by-hop headers a proxy never forwards (RFC 9110 §7.6.1), nor carries into HTTP/2. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * The protocol an HTTP/1.1 request asks to switch to (`websocket`), lowercased: its `upgrade`
 * header, when `connection` lists `upgrade`. Undefined for a request that asks for none.
 */
export function upgradeRequested(headers: HeaderMap): string | undefined {
  const upgrade = headers.get('upgrade');
  if (upgrade === undefined) return undefined;
  const tokens = (headers.get('connection') ?? '').split(',').map((t) => t.trim().toLowerCase());
  return tokens.includes('upgrade') ? upgrade.trim().toLowerCase() : undefined;
}

const UPGRADE_HEADERS: ReadonlySet<string> = new Set(['upgrade', 'connection']);
const NONE: ReadonlySet<string> = new Set();

/** Strips hop-by-hop headers but an upgrade's own two, which Envoy forwards as they came. */
export function stripHopByHopKeepingUpgrade(headers: HeaderMap): void {
  stripHopByHop(headers, upgradeRequested(headers) === undefined ? NONE : UPGRADE_HEADERS);
}

export function stripHopByHop(headers: HeaderMap, keep: ReadonlySet<string> = NONE): void {
  const listed = headers.get('connection')?.split(',').map((name) => name.trim().toLowerCase()) ?? [];
  for (const name of [...listed, ...HOP_BY_HOP]) {
    if (keep.has(name) || (name === 'te' && headers.get('te') === 'trailers')) continue;
    headers.remove(name);
  }
}

/** `Cache-Control: no-transform`: a proxy must not change the body's encoding (compressor filters honour it). */
export function hasNoTransform(headers: HeaderMap): boolean {
  return headers.get('cache-control')?.split(',').some((token) => token.trim().toLowerCase() === 'no-transform') ?? false;
}

/** A cookie's value from the request's `cookie` headers, surrounding quotes removed (Envoy's `parseCookieValue`). */
export function cookieValue(headers: HeaderMap, name: string): string | undefined {
  for (const header of headers.getAll('cookie')) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
  }
  return undefined;
}
