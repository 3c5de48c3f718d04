import { toPlain, type ConfigValue } from '../tree.js';
import type { FieldType } from './types.js';

export interface DurationRules {
  /** Minimum in milliseconds, inclusive. */
  readonly gteMs?: number;
  /** Minimum in milliseconds, exclusive. */
  readonly gtMs?: number;
  readonly lteMs?: number;
}

/**
 * `google.protobuf.Duration` in proto3 JSON: a decimal number of seconds ending in `s`
 * (`3600s`, `0.25s`). Parsed to milliseconds.
 */
export function duration(rules: DurationRules = {}): FieldType<number> {
  return {
    description: 'google.protobuf.Duration',
    parse(value, path, ctx) {
      const raw = value.kind === 'scalar' ? value.value : undefined;
      const match = typeof raw === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(raw.trim()) : null;
      if (!match) {
        return ctx.report(
          path,
          value.position,
          `invalid duration ${JSON.stringify(raw ?? null)}: a duration is a number of seconds ending in 's'`,
          `write e.g. "3600s" or "0.25s"`,
        );
      }
      const seconds = Number(match[2]);
      const nanos = Number((match[3] ?? '').padEnd(9, '0'));
      if (seconds > 315_576_000_000) return ctx.report(path, value.position, 'duration out of range');
      const ms = (match[1] ? -1 : 1) * (seconds * 1000 + nanos / 1e6);
      if (rules.gteMs !== undefined && ms < rules.gteMs) {
        return ctx.report(path, value.position, `value must be greater than or equal to ${rules.gteMs / 1000}s`);
      }
      if (rules.gtMs !== undefined && ms <= rules.gtMs) {
        return ctx.report(path, value.position, `value must be greater than ${rules.gtMs / 1000}s`);
      }
      if (rules.lteMs !== undefined && ms > rules.lteMs) {
        return ctx.report(path, value.position, `value must be less than or equal to ${rules.lteMs / 1000}s`);
      }
      return ms;
    },
  };
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** `google.protobuf.Struct`: any JSON object, kept as plain data. */
export function struct(): FieldType<JsonObject> {
  return {
    description: 'google.protobuf.Struct',
    parse(value: ConfigValue, path, ctx) {
      if (value.kind !== 'map') return ctx.report(path, value.position, 'expected an object (google.protobuf.Struct)');
      return toPlain(value) as JsonObject;
    },
  };
}

/** `google.protobuf.Value`: any JSON value. */
export function jsonValue(): FieldType<JsonValue> {
  return {
    description: 'google.protobuf.Value',
    parse: (value) => toPlain(value) as JsonValue,
  };
}
