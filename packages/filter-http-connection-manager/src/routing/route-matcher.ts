import type { HeaderMap } from '@nodevoy/http';
import { stringMatcher } from '@nodevoy/core';
import type { HeaderMatcherConfig } from '../config/matchers.js';
import type { RouteMatchConfig } from '../config/route-config.js';

type Predicate = (headers: HeaderMap) => boolean;

function pathWithoutQuery(path: string): string {
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

/** Envoy's HeaderMatcher: every form, `invert_match`, and repeated headers joined by commas. */
export function headerMatcher(config: HeaderMatcherConfig): Predicate {
  const name = config.name.toLowerCase();
  let test: (value: string | undefined) => boolean;
  if (config.present_match !== undefined) test = (v) => (v !== undefined) === config.present_match;
  else {
    let match: (value: string) => boolean;
    if (config.exact_match !== undefined) match = (v) => v === config.exact_match;
    else if (config.prefix_match !== undefined) match = (v) => v.startsWith(config.prefix_match as string);
    else if (config.suffix_match !== undefined) match = (v) => v.endsWith(config.suffix_match as string);
    else if (config.contains_match !== undefined) match = (v) => v.includes(config.contains_match as string);
    else if (config.safe_regex_match !== undefined) {
      const regex = new RegExp(`^(?:${config.safe_regex_match.regex})$`);
      match = (v) => regex.test(v);
    } else if (config.string_match !== undefined) match = stringMatcher(config.string_match);
    else match = () => true; // name only: the header must be present
    test = (v) => (v === undefined ? (config.treat_missing_header_as_empty ? match('') : false) : match(v));
  }
  const invert = config.invert_match ?? false;
  return (headers) => {
    const values = headers.getAll(name);
    const value = values.length === 0 ? undefined : values.join(',');
    return test(value) !== invert;
  };
}

/**
 * A route's `match`: the path rule (`prefix` on the whole path, `path` and `safe_regex` on the
 * path without its query), `connect_matcher` for CONNECT, and every header matcher.
 */
export function routeMatcher(config: RouteMatchConfig): Predicate {
  const caseSensitive = config.case_sensitive ?? true;
  const fold = caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase();
  let pathRule: Predicate;
  if (config.connect_matcher) {
    pathRule = (h) => h.get(':method') === 'CONNECT' && !h.has(':protocol');
  } else {
    let test: (path: string) => boolean;
    if (config.prefix !== undefined) {
      const prefix = fold(config.prefix);
      test = (p) => fold(p).startsWith(prefix);
    } else if (config.path !== undefined) {
      const exact = fold(config.path);
      test = (p) => fold(pathWithoutQuery(p)) === exact;
    } else if (config.path_separated_prefix !== undefined) {
      const prefix = fold(config.path_separated_prefix);
      test = (p) => {
        const path = fold(pathWithoutQuery(p));
        return path === prefix || path.startsWith(`${prefix}/`);
      };
    } else {
      const regex = new RegExp(`^(?:${config.safe_regex?.regex ?? ''})$`);
      test = (p) => regex.test(pathWithoutQuery(p));
    }
    // Requests without a path (HTTP/1.1 CONNECT) match only connect_matcher routes.
    pathRule = (h) => {
      const path = h.get(':path');
      return path !== undefined && test(path);
    };
  }
  const headers = (config.headers ?? []).map(headerMatcher);
  const grpc = config.grpc !== undefined;
  return (h) => pathRule(h) && headers.every((m) => m(h)) && (!grpc || (h.get('content-type') ?? '').startsWith('application/grpc'));
}
