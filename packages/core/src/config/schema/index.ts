import { registeredMessage, typedConfig } from './any.js';
import { extensionEntry } from './extension-entry.js';
import { empty, mapOf, message, repeated } from './message.js';
import { bool, bytes, double, enumOf, int32, int64, required, string, uint32, uint64, withDefault } from './scalars.js';
import { duration, jsonValue, struct } from './well-known.js';

/**
 * Builders for proto3-JSON config schemas. Extensions describe their typed config with these
 * so that a config copied from Envoy's docs is checked the same way everywhere: snake_case or
 * lowerCamelCase names, field paths and line:col in every error.
 */
export const schema = Object.freeze({
  message,
  empty,
  repeated,
  mapOf,
  string,
  bytes,
  bool,
  uint32,
  int32,
  uint64,
  int64,
  double,
  enumOf,
  duration,
  struct,
  jsonValue,
  typedConfig,
  registeredMessage,
  extensionEntry,
  required,
  withDefault,
});

export type { TypedConfig } from './any.js';
export type { ExtensionEntry } from './extension-entry.js';
export type { CheckReporter, MessageOptions, MessageType, OneofRule, RepeatedRules } from './message.js';
export type { NumberRules, StringRules } from './scalars.js';
export {
  INVALID,
  ParseContext,
  jsonName,
  type DefaultedField,
  type FieldType,
  type FieldValue,
  type RequiredField,
  type Invalid,
  type MessageValue,
  type NodeLocation,
  type ParseServices,
  type TypedConfigResolution,
} from './types.js';
export type { DurationRules, JsonObject, JsonValue } from './well-known.js';
