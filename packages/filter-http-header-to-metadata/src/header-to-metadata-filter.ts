import type { DecoderFilterCallbacks, HttpFilter, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import { cookieValue, type HeaderMap } from '@nodevoy/http';

/** What a rule writes: a key in a namespace, the configured value or the header's (rewritten, decoded, typed). */
export interface MetadataEntry {
  readonly namespace: string;
  readonly key: string;
  readonly value: string | undefined;
  readonly rewrite: ((value: string) => string) | undefined;
  readonly type: 'string' | 'number';
  readonly base64: boolean;
}

export interface CompiledRule {
  readonly header: string | undefined;
  readonly cookie: string | undefined;
  readonly onPresent: MetadataEntry | undefined;
  readonly onMissing: MetadataEntry | undefined;
  readonly remove: boolean;
}

/** A config's rules, compiled: the filter's, or a route's in their place. */
export interface CompiledRules {
  readonly request: readonly CompiledRule[];
  readonly response: readonly CompiledRule[];
}

/** Envoy skips header values longer than this. */
const MAX_VALUE_LENGTH = 8 * 1024;

/** The metadata value of an entry, or undefined when there is none to write (empty, not a number, not base64). */
function entryValue(entry: MetadataEntry, found: string | undefined): string | number | undefined {
  let value = entry.value ?? found ?? '';
  if (entry.value === undefined && entry.rewrite) value = entry.rewrite(value);
  if (value === '' || value.length > MAX_VALUE_LENGTH) return undefined;
  if (entry.base64) {
    value = Buffer.from(value, 'base64').toString('utf8');
    if (value === '') return undefined;
  }
  if (entry.type === 'string') return value;
  const number = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(number) ? number : undefined;
}

/** Applies rules to one header map, writing what they find into the request's dynamic metadata. */
function applyRules(rules: readonly CompiledRule[], headers: HeaderMap, setMetadata: (namespace: string, key: string, value: string | number) => void): void {
  for (const rule of rules) {
    const found = rule.header !== undefined ? headers.get(rule.header) : cookieValue(headers, rule.cookie ?? '');
    const entry = found !== undefined ? rule.onPresent : rule.onMissing;
    if (entry) {
      const value = entryValue(entry, found);
      if (value !== undefined) setMetadata(entry.namespace, entry.key, value);
    }
    if (rule.remove && rule.header !== undefined) headers.remove(rule.header);
  }
}

/**
 * `envoy.filters.http.header_to_metadata` on one request (Envoy's HeaderToMetadataFilter): each
 * request rule reads a header (or a cookie) and writes dynamic metadata when it is present
 * (its value, or the configured one) or missing (the configured one), then may remove the
 * header; response rules do the same on the response. A route's rules replace the filter's.
 */
export class HeaderToMetadataFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private rules: CompiledRules;

  constructor(
    rules: CompiledRules,
    private readonly routeRules: (callbacks: DecoderFilterCallbacks) => CompiledRules | undefined,
  ) {
    this.rules = rules;
  }

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterStatus {
    this.rules = this.routeRules(this.callbacks) ?? this.rules;
    applyRules(this.rules.request, headers, this.setMetadata);
    return 'continue';
  }

  encodeHeaders(headers: HeaderMap): HttpFilterStatus {
    applyRules(this.rules.response, headers, this.setMetadata);
    return 'continue';
  }

  private readonly setMetadata = (namespace: string, key: string, value: string | number): void => {
    this.callbacks.requestInfo.setDynamicMetadata(namespace, { [key]: value });
  };
}
