import type protobuf from 'protobufjs';
import { protobufJs } from './lazy-modules.js';

/** A message the management server sent that nodevoy cannot turn into config. */
export class ProtoDecodeError extends Error {}

const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue']);
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

type Decoded = Record<string, unknown>;

/**
 * A decoded message in proto3 JSON, as Envoy's YAML is written: field names as in the
 * `.proto` (snake_case), enums by name, 64-bit integers and bytes as strings, durations as
 * `"1.5s"`, wrappers unwrapped, Struct as plain JSON, and each Any as its message with `@type`.
 */
export function toProto3Json(type: protobuf.Type, message: Decoded): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    const value = message[field.name];
    // Decoded messages carry every repeated and map field, empty when the wire had none.
    if (field instanceof protobufJs().MapField) {
      const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, fieldValue(field, item)]);
      if (entries.length > 0) out[field.name] = Object.fromEntries(entries);
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length > 0) out[field.name] = items.map((item) => fieldValue(field, item));
    } else {
      out[field.name] = fieldValue(field, value);
    }
  }
  return out;
}

/** Decodes an Any to proto3 JSON with its `@type`, by the types of Envoy's API. */
export function anyToProto3Json(root: protobuf.Root, typeUrl: string, value: Uint8Array): Record<string, unknown> {
  const type = lookupType(root, typeUrl);
  const decoded = type.decode(value) as unknown as Decoded;
  const json = wellKnown(type, decoded);
  return json === undefined ? { '@type': typeUrl, ...toProto3Json(type, decoded) } : { '@type': typeUrl, value: json };
}

export function lookupType(root: protobuf.Root, typeUrl: string): protobuf.Type {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const found = root.lookup(name);
  if (!(found instanceof protobufJs().Type)) throw new ProtoDecodeError(`unknown message type '${name}' (not in Envoy's v3 API as nodevoy ships it)`);
  return found;
}

function fieldValue(field: protobuf.Field, value: unknown): unknown {
  const { Enum, Type } = protobufJs();
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof Enum) return resolved.valuesById[value as number] ?? value;
  if (resolved instanceof Type) {
    const json = wellKnown(resolved, value as Decoded);
    return json === undefined ? toProto3Json(resolved, value as Decoded) : json;
  }
  return scalar(field.type, value);
}

function scalar(type: string, value: unknown): unknown {
  if (LONG_TYPES.has(type)) return String(value);
  if (type === 'bytes') return Buffer.from(value as Uint8Array).toString('base64');
  if ((type === 'double' || type === 'float') && typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** proto3 JSON of the well-known types; undefined for every other message. */
function wellKnown(type: protobuf.Type, message: Decoded): unknown {
  const full = type.fullName;
  if (!full.startsWith('.google.protobuf.')) return undefined;
  const name = full.slice('.google.protobuf.'.length);
  if (WRAPPERS.has(name)) {
    const field = type.fields['value'] as protobuf.Field;
    return scalar(field.type, message['value'] ?? field.typeDefault);
  }
  switch (name) {
    case 'Duration':
    case 'Timestamp': {
      const seconds = Number(message['seconds'] ?? 0);
      const nanos = Number(message['nanos'] ?? 0);
      if (name === 'Timestamp') return new Date(seconds * 1000 + nanos / 1e6).toISOString();
      return `${(seconds + nanos / 1e9).toString()}s`;
    }
    case 'Struct':
      return structJson(message);
    case 'Value':
      return valueJson(message);
    case 'ListValue':
      return ((message['values'] ?? []) as Decoded[]).map(valueJson);
    case 'Empty':
      return {};
    case 'FieldMask':
      return ((message['paths'] ?? []) as string[]).join(',');
    case 'Any':
      return anyToProto3Json(type.root as protobuf.Root, String(message['type_url'] ?? ''), (message['value'] ?? new Uint8Array()) as Uint8Array);
    default:
      return undefined;
  }
}

function structJson(message: Decoded): Record<string, unknown> {
  const fields = (message['fields'] ?? {}) as Record<string, Decoded>;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, valueJson(value)]));
}

/**
 * A `google.protobuf.Value` by the one kind it has (decoded messages keep defaults on the
 * prototype). protobufjs bundles struct.proto with camelCase field names.
 */
function valueJson(value: Decoded): unknown {
  const has = (kind: string) => Object.prototype.hasOwnProperty.call(value, kind);
  if (has('structValue')) return structJson(value['structValue'] as Decoded);
  if (has('listValue')) return (((value['listValue'] as Decoded)['values'] as Decoded[] | undefined) ?? []).map(valueJson);
  if (has('stringValue')) return value['stringValue'];
  if (has('numberValue')) return value['numberValue'];
  if (has('boolValue')) return value['boolValue'];
  return null;
}
