import { regexRewrite, xxHash64, xxHash64Chain, type Address, type FilterState } from '@nodevoy/core';
import { cookieValue, type HeaderMap } from '@nodevoy/http';
import type { HashPolicyConfig } from '../config/hash-policy.js';

/** What a request offers to be hashed by. */
export interface HashInput {
  readonly headers: HeaderMap;
  /** The downstream client (after `x-forwarded-for` trust), for `connection_properties.source_ip`. */
  readonly remoteAddress: Address | undefined;
  readonly filterState: FilterState;
  /** Sets a cookie on the response (a `cookie` policy with a `ttl` when the request had none); returns its value. */
  addCookie(name: string, path: string, ttlSeconds: number, attributes: readonly { readonly name: string; readonly value?: string }[]): string;
}

type HashMethod = (input: HashInput) => bigint | undefined;

const MASK = (1n << 64n) - 1n;

function method(policy: HashPolicyConfig): HashMethod | undefined {
  if (policy.header) {
    const name = policy.header.header_name.toLowerCase();
    const rewrite = policy.header.regex_rewrite ? regexRewrite(policy.header.regex_rewrite) : undefined;
    return ({ headers }) => {
      const values = headers.getAll(name);
      if (values.length === 0) return undefined;
      // The same hash whatever order repeated values came in, as Envoy's.
      return xxHash64Chain(values.map((v) => (rewrite ? rewrite(v) : v)).sort());
    };
  }
  if (policy.cookie) {
    const { name, path = '', ttl, attributes = [] } = policy.cookie;
    return (input) => {
      const value = cookieValue(input.headers, name);
      if (value) return xxHash64(value);
      if (ttl === undefined) return undefined;
      return xxHash64(input.addCookie(name, path, Math.floor(ttl / 1000), attributes));
    };
  }
  if (policy.connection_properties) {
    if (!policy.connection_properties.source_ip) return undefined;
    return ({ remoteAddress }) => (remoteAddress?.kind === 'socket' ? xxHash64(remoteAddress.ip) : undefined);
  }
  if (policy.query_parameter) {
    const wanted = policy.query_parameter.name;
    return ({ headers }) => {
      const value = queryParameter(headers.get(':path') ?? '', wanted);
      return value === undefined ? undefined : xxHash64(value);
    };
  }
  if (policy.filter_state) {
    const key = policy.filter_state.key;
    // Envoy hashes objects that are Hashable; nodevoy's filter state strings (set_filter_state's) are.
    return ({ filterState }) => {
      const value = filterState.get(key);
      return typeof value === 'string' ? xxHash64(value) : undefined;
    };
  }
  return undefined;
}

/**
 * A route's `hash_policy` (Envoy's `HashPolicyImpl`): each policy that yields a hash is mixed in
 * (the previous hash rotated left by one, XOR the new one); a `terminal` one that yields a hash
 * ends the list. No hash at all: the balancer picks at random.
 */
export class HashPolicy {
  private readonly methods: { readonly hash: HashMethod; readonly terminal: boolean }[];

  constructor(policies: readonly HashPolicyConfig[]) {
    this.methods = policies.flatMap((policy) => {
      const hash = method(policy);
      return hash ? [{ hash, terminal: policy.terminal ?? false }] : [];
    });
  }

  generateHash(input: HashInput): bigint | undefined {
    let hash: bigint | undefined;
    for (const { hash: compute, terminal } of this.methods) {
      const next = compute(input);
      if (next !== undefined) {
        const rotated = hash === undefined ? 0n : ((hash << 1n) | (hash >> 63n)) & MASK;
        hash = rotated ^ next;
      }
      if (terminal && hash !== undefined) break;
    }
    return hash;
  }
}

function queryParameter(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q < 0) return undefined;
  for (const pair of path.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (key === name) return eq < 0 ? '' : pair.slice(eq + 1);
  }
  return undefined;
}

/** Envoy's `makeSetCookieValue`: `name="value"; Max-Age=...; Path=...; <attributes>; HttpOnly`. */
export function setCookieValue(name: string, value: string, path: string, maxAgeSeconds: number, attributes: readonly { readonly name: string; readonly value?: string }[]): string {
  let cookie = `${name}="${value}"`;
  if (maxAgeSeconds !== 0) cookie += `; Max-Age=${maxAgeSeconds}`;
  if (path) cookie += `; Path=${path}`;
  for (const attribute of attributes) cookie += attribute.value ? `; ${attribute.name}=${attribute.value}` : `; ${attribute.name}`;
  return `${cookie}; HttpOnly`;
}
