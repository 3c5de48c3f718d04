import type { ConfigMap, ConfigValue } from '../tree.js';
import { INVALID, childPath, type FieldType, type Invalid, type ParseContext } from './types.js';

/** A `google.protobuf.Any` resolved against the extension registry. */
export interface TypedConfig<T = unknown> {
  readonly typeUrl: string;
  /** What the registry resolved the URL to (an extension factory). */
  readonly target: unknown;
  readonly config: T;
}

const TYPED_STRUCT_URLS = new Set([
  'type.googleapis.com/udpa.type.v1.TypedStruct',
  'type.googleapis.com/xds.type.v3.TypedStruct',
]);

/**
 * `typed_config` of an extension in `category`: dispatched on `@type`, including the
 * `TypedStruct` wrapping (`type_url` + `value`) that Envoy accepts for any extension.
 */
export function typedConfig(category: string): FieldType<TypedConfig> {
  return {
    description: 'google.protobuf.Any',
    parse(value, path, ctx) {
      if (value.kind !== 'map') return ctx.report(path, value.position, "expected an object with an '@type'");
      const typeEntry = value.entries.get('@type');
      if (!typeEntry || typeEntry.value.kind !== 'scalar' || typeof typeEntry.value.value !== 'string') {
        return ctx.report(path, value.position, "typed_config needs an '@type' naming its message", 'e.g. "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
      }
      const typeUrl = typeEntry.value.value;
      const rest: ConfigMap = { kind: 'map', entries: new Map([...value.entries].filter(([k]) => k !== '@type')), position: value.position };
      if (TYPED_STRUCT_URLS.has(typeUrl)) return parseTypedStruct(category, rest, path, ctx);
      return resolveAndParse(category, typeUrl, typeEntry.value.position, rest, path, ctx);
    },
  };
}

function parseTypedStruct(category: string, body: ConfigMap, path: string, ctx: ParseContext): TypedConfig | Invalid {
  const innerUrl = body.entries.get('type_url') ?? body.entries.get('typeUrl');
  if (!innerUrl || innerUrl.value.kind !== 'scalar' || typeof innerUrl.value.value !== 'string') {
    return ctx.report(path, body.position, "a TypedStruct needs 'type_url'");
  }
  for (const key of body.entries.keys()) {
    if (!['type_url', 'typeUrl', 'value'].includes(key)) {
      return ctx.report(childPath(path, key), body.entries.get(key)?.keyPosition, `unknown field '${key}' in xds.type.v3.TypedStruct`);
    }
  }
  const value: ConfigValue = body.entries.get('value')?.value ?? { kind: 'map', entries: new Map(), position: body.position };
  return resolveAndParse(category, innerUrl.value.value, innerUrl.value.position, value, childPath(path, 'value'), ctx);
}

function resolveAndParse(
  category: string,
  typeUrl: string,
  typePosition: ConfigValue['position'],
  body: ConfigValue,
  path: string,
  ctx: ParseContext,
): TypedConfig | Invalid {
  const resolution = ctx.services.resolveTypedConfig(category, typeUrl);
  if (!resolution.found) return ctx.report(childPath(path, '@type'), typePosition, resolution.message, resolution.hint);
  const config = resolution.schema.parse(body, path, ctx);
  if (config === INVALID) return INVALID;
  return { typeUrl, target: resolution.target, config };
}

/** Resolves an extension by its name when an entry has no `typed_config` (Envoy's fallback). */
export function configByName(category: string, name: string, position: ConfigValue['position'], path: string, ctx: ParseContext): TypedConfig | Invalid {
  const resolution = ctx.services.resolveByName?.(category, name);
  if (!resolution || !resolution.found) {
    return ctx.report(path, position, resolution?.message ?? `no extension named '${name}'`, resolution?.hint ?? 'add a typed_config with an "@type"');
  }
  const config = resolution.schema.parse({ kind: 'map', entries: new Map(), position }, path, ctx);
  if (config === INVALID) return INVALID;
  return { typeUrl: '', target: resolution.target, config };
}

/**
 * A message of a fixed `@type` whose schema an extension registers in `category` (the bootstrap's
 * `secrets` are TLS `Secret`s, which core does not define). Without that extension, the field is
 * an error saying which package provides it.
 */
export function registeredMessage(category: string, typeUrl: string): FieldType<TypedConfig> {
  return {
    description: typeUrl.slice(typeUrl.lastIndexOf('/') + 1),
    parse(value, path, ctx) {
      const resolution = ctx.services.resolveTypedConfig(category, typeUrl);
      if (!resolution.found) return ctx.report(path, value.position, resolution.message, resolution.hint);
      const config = resolution.schema.parse(value, path, ctx);
      if (config === INVALID) return INVALID;
      return { typeUrl, target: resolution.target, config };
    },
  };
}
