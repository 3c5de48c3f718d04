import type { ConfigValue } from '../tree.js';
import { INVALID, type DefaultedField, type FieldType, type Invalid, type ParseContext, type RequiredField } from './types.js';

function describeValue(value: ConfigValue): string {
  if (value.kind === 'map') return 'an object';
  if (value.kind === 'list') return 'a list';
  if (value.value === null) return 'null';
  return `${typeof value.value} ${JSON.stringify(value.value)}`;
}

function expected(ctx: ParseContext, path: string, value: ConfigValue, what: string): Invalid {
  return ctx.report(path, value.position, `expected ${what}, got ${describeValue(value)}`);
}

export interface StringRules {
  readonly minLen?: number;
  readonly maxLen?: number;
  readonly pattern?: RegExp;
  /** Restricts the value to one of these strings (e.g. HTTP upgrade types). */
  readonly oneOf?: readonly string[];
}

export function string(rules: StringRules = {}): FieldType<string> {
  return {
    description: 'string',
    parse(value, path, ctx) {
      if (value.kind !== 'scalar' || value.value === null || typeof value.value === 'boolean') {
        return expected(ctx, path, value, 'a string');
      }
      const text = String(value.value);
      if (rules.minLen !== undefined && [...text].length < rules.minLen) {
        return ctx.report(path, value.position, `value length must be at least ${rules.minLen} characters`);
      }
      if (rules.maxLen !== undefined && [...text].length > rules.maxLen) {
        return ctx.report(path, value.position, `value length must be at most ${rules.maxLen} characters`);
      }
      if (rules.pattern && !rules.pattern.test(text)) {
        return ctx.report(path, value.position, `value does not match ${String(rules.pattern)}`);
      }
      if (rules.oneOf && !rules.oneOf.includes(text)) {
        return ctx.report(path, value.position, `value must be one of ${rules.oneOf.join(', ')}`);
      }
      return text;
    },
  };
}

/** proto3 `bytes`: base64 in JSON and YAML (standard or URL-safe alphabet, padding optional). */
export function bytes(): FieldType<Buffer> {
  return {
    description: 'bytes',
    parse(value, path, ctx) {
      if (value.kind !== 'scalar' || typeof value.value !== 'string') return expected(ctx, path, value, 'base64 bytes');
      const text = value.value.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return ctx.report(path, value.position, 'invalid base64 in bytes field');
      return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    },
  };
}

export function bool(): FieldType<boolean> {
  return {
    description: 'bool',
    parse(value, path, ctx) {
      if (value.kind === 'scalar' && typeof value.value === 'boolean') return value.value;
      return expected(ctx, path, value, 'true or false');
    },
  };
}

export interface NumberRules {
  readonly gte?: number;
  readonly lte?: number;
  readonly gt?: number;
  readonly lt?: number;
}

function checkRange(n: number, rules: NumberRules, path: string, value: ConfigValue, ctx: ParseContext): number | Invalid {
  const { gte, lte, gt, lt } = rules;
  if (gte !== undefined && lte !== undefined && (n < gte || n > lte)) {
    return ctx.report(path, value.position, `value must be inside range [${gte}, ${lte}]`);
  }
  if (gte !== undefined && n < gte) return ctx.report(path, value.position, `value must be greater than or equal to ${gte}`);
  if (lte !== undefined && n > lte) return ctx.report(path, value.position, `value must be less than or equal to ${lte}`);
  if (gt !== undefined && n <= gt) return ctx.report(path, value.position, `value must be greater than ${gt}`);
  if (lt !== undefined && n >= lt) return ctx.report(path, value.position, `value must be less than ${lt}`);
  return n;
}

function integer(description: string, min: number, max: number, rules: NumberRules): FieldType<number> {
  return {
    description,
    parse(value, path, ctx) {
      // proto3 JSON accepts integers as numbers or as decimal strings ("19000").
      const raw = value.kind === 'scalar' ? value.value : undefined;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) return expected(ctx, path, value, `an integer (${description})`);
      if (n < min || n > max) return ctx.report(path, value.position, `value ${n} is out of range for ${description}`);
      return checkRange(n, rules, path, value, ctx);
    },
  };
}

export const uint32 = (rules: NumberRules = {}) => integer('uint32', 0, 0xffffffff, rules);
export const int32 = (rules: NumberRules = {}) => integer('int32', -0x80000000, 0x7fffffff, rules);
export const uint64 = (rules: NumberRules = {}) => integer('uint64', 0, Number.MAX_SAFE_INTEGER, rules);
export const int64 = (rules: NumberRules = {}) =>
  integer('int64', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, rules);

export function double(rules: NumberRules = {}): FieldType<number> {
  return {
    description: 'double',
    parse(value, path, ctx) {
      const raw = value.kind === 'scalar' ? value.value : undefined;
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (Number.isNaN(n)) return expected(ctx, path, value, 'a number');
      return checkRange(n, rules, path, value, ctx);
    },
  };
}

/**
 * A proto enum, written by name (`ROUND_ROBIN`) or number. `values` lists names in number
 * order, as in the .proto file. Names nodevoy knows but does not implement go in `unsupported`.
 */
export function enumOf<const V extends readonly string[]>(
  typeName: string,
  values: V,
  unsupported: Readonly<Record<string, string>> = {},
): FieldType<V[number]> {
  return {
    description: typeName,
    parse(value, path, ctx) {
      const raw = value.kind === 'scalar' ? value.value : undefined;
      let name: string | undefined;
      if (typeof raw === 'string') name = raw;
      else if (typeof raw === 'number' && Number.isInteger(raw)) name = values[raw];
      if (name === undefined || !values.includes(name)) {
        return ctx.report(
          path,
          value.position,
          `invalid value ${describeValue(value)} for enum ${typeName}`,
          `one of ${values.filter((v) => !(v in unsupported)).join(', ')}`,
        );
      }
      const reason = unsupported[name];
      if (reason !== undefined) return ctx.report(path, value.position, `${typeName} ${name} is not supported by nodevoy`, reason);
      return name as V[number];
    },
  };
}

/** Marks a field as required: absence is an error naming the field. */
export function required<T>(type: FieldType<T>): RequiredField<T> {
  return { ...type, parse: type.parse.bind(type), required: true };
}

/** Gives a field a default used when it is absent. */
export function withDefault<T>(type: FieldType<T>, defaultValue: T): DefaultedField<T> {
  return { ...type, parse: type.parse.bind(type), defaultValue };
}

export { INVALID };
