import type { HeaderMap } from '@nodevoy/http';
import { stripPort } from './routing/virtual-hosts.js';

export interface PathNormalization {
  /** `normalize_path`: RFC 3986 normalization (unreserved %-decoding, dot segments). */
  readonly normalize: boolean;
  /** `merge_slashes`: `//a///b` -> `/a/b`. */
  readonly mergeSlashes: boolean;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * The path as Envoy routes it after `normalize_path` / `merge_slashes`; the query is left as is.
 * Undefined when the path cannot be normalized (Envoy answers 400).
 */
export function normalizePath(path: string, options: PathNormalization): string | undefined {
  if (!options.normalize && !options.mergeSlashes) return path;
  const queryAt = path.search(/[?#]/);
  let base = queryAt < 0 ? path : path.slice(0, queryAt);
  const rest = queryAt < 0 ? '' : path.slice(queryAt);
  if (options.normalize) {
    const decoded = decodeUnreserved(base);
    if (decoded === undefined) return undefined;
    base = removeDotSegments(decoded.replace(/\\/g, '/'));
  }
  if (options.mergeSlashes) base = base.replace(/\/{2,}/g, '/');
  return base + rest;
}

/** `%7E` -> `~`; other escapes uppercased (`%2f` -> `%2F`); a broken escape is an error. */
function decodeUnreserved(path: string): string | undefined {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const decoded = String.fromCharCode(parseInt(hex, 16));
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/** RFC 3986 §5.2.4 for an absolute path. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  const segments = path.split('/').slice(1);
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) output.push('');
    } else if (segment === '..') {
      output.pop();
      if (last) output.push('');
    } else output.push(segment);
  });
  return `/${output.join('/')}`;
}

/**
 * `strip_any_host_port` / `strip_matching_host_port`: the port leaves `:authority` before routing
 * (matching: only when it is the listener's own port). A CONNECT keeps its port: it is the target.
 */
export function stripHostPort(headers: HeaderMap, mode: 'any' | 'matching' | undefined, listenerPort: number | undefined): void {
  const authority = headers.get(':authority');
  if (!mode || !authority || headers.get(':method') === 'CONNECT') return;
  const host = stripPort(authority);
  if (host === authority) return;
  if (mode === 'any' || authority.slice(host.length + 1) === String(listenerPort)) headers.set(':authority', host);
}

export type UnderscoresAction = 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';

/**
 * `headers_with_underscores_action`: returns whether the request may go on. DROP_HEADER removes
 * the headers; REJECT_REQUEST refuses the request (the caller answers 400).
 */
export function applyUnderscoresAction(headers: HeaderMap, action: UnderscoresAction, dropped: () => void): boolean {
  if (action === 'ALLOW') return true;
  const names = [...new Set([...headers].map(([name]) => name).filter((name) => !name.startsWith(':') && name.includes('_')))];
  if (names.length === 0) return true;
  if (action === 'REJECT_REQUEST') return false;
  for (const name of names) {
    headers.remove(name);
    dropped();
  }
  return true;
}
