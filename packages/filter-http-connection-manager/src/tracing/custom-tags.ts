import type { Span } from '@nodevoy/core';
import type { HeaderMap } from '@nodevoy/http';
import type { CustomTagConfig } from './tracing-config.js';

/** What a custom tag may read of a request. */
export interface CustomTagContext {
  readonly requestHeaders: HeaderMap;
  readonly dynamicMetadata: ReadonlyMap<string, unknown>;
  readonly routeMetadata: Readonly<Record<string, unknown>> | undefined;
}

/** Sets its tag on a span, when it has a value. */
export type CustomTag = (span: Span, context: CustomTagContext) => void;

/** A metadata value as Envoy prints it into a tag: strings as they are, numbers and bools as text, lists and structs as JSON. */
function tagValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function metadataValue(namespaceValue: unknown, path: readonly string[]): unknown {
  let value = namespaceValue;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** Envoy's custom tags: a literal, an environment variable (read once), a request header, or metadata; empty values are not set. */
export function compileCustomTag(config: CustomTagConfig): CustomTag {
  const set = (span: Span, value: string | undefined) => {
    if (value) span.setTag(config.tag, value);
  };
  if (config.literal) {
    const value = config.literal.value;
    return (span) => set(span, value);
  }
  if (config.environment) {
    const value = process.env[config.environment.name] ?? config.environment.default_value;
    return (span) => set(span, value);
  }
  if (config.request_header) {
    const { default_value } = config.request_header;
    const name = config.request_header.name.toLowerCase();
    return (span, context) => set(span, context.requestHeaders.get(name) ?? default_value);
  }
  const metadata = config.metadata as NonNullable<CustomTagConfig['metadata']>;
  const path = (metadata.metadata_key.path ?? []).map((segment) => segment.key);
  return (span, context) => {
    const namespace = metadata.metadata_key.key;
    const values = metadata.kind.route ? context.routeMetadata?.[namespace] : context.dynamicMetadata.get(namespace);
    set(span, tagValue(metadataValue(values, path)) ?? metadata.default_value);
  };
}
