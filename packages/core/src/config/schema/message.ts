import type { SourcePosition } from '../../errors.js';
import type { ConfigValue } from '../tree.js';
import { closestName } from './suggest.js';
import {
  childPath,
  INVALID,
  jsonName,
  type FieldType,
  type Invalid,
  type MessageValue,
  type ParseContext,
} from './types.js';

type AnyFields = Record<string, FieldType<unknown>>;

export interface OneofRule<F> {
  readonly fields: readonly (keyof F & string)[];
  /** Envoy's `(validate.required) = true` on the oneof. */
  readonly required?: boolean;
}

/** Reports a semantic problem from a message-level check. `field` undefined means the message. */
export type CheckReporter = (field: string | undefined, message: string, hint?: string) => void;

export interface MessageOptions<F> {
  readonly oneofs?: readonly OneofRule<F>[];
  /** Fields Envoy has that nodevoy does not implement, with what to do instead. */
  readonly unsupported?: Readonly<Record<string, string>>;
  /** Fields Envoy has that nodevoy accepts and deliberately ignores (documented no-ops). */
  readonly ignored?: readonly string[];
  /** Rules that span fields, run after the fields parsed cleanly. */
  readonly check?: (value: MessageValue<F>, report: CheckReporter) => void;
}

export interface MessageType<F extends AnyFields> extends FieldType<MessageValue<F>> {
  readonly typeName: string;
  readonly fields: F;
}

const UNSUPPORTED_HINT = 'remove it, or see the README for what nodevoy supports';

/** A protobuf message read with proto3 JSON rules: snake_case or lowerCamelCase names. */
export function message<F extends AnyFields>(typeName: string, fields: F, options: MessageOptions<F> = {}): MessageType<F> {
  const byName = new Map<string, string>();
  for (const field of Object.keys(fields)) {
    byName.set(field, field);
    byName.set(jsonName(field), field);
  }
  const shortName = typeName.slice(typeName.lastIndexOf('.') + 1);

  return {
    typeName,
    fields,
    description: typeName,
    parse(value: ConfigValue, path: string, ctx: ParseContext): MessageValue<F> | Invalid {
      if (value.kind !== 'map') {
        return ctx.report(path, value.position, `expected an object (${shortName}), got ${value.kind === 'list' ? 'a list' : 'a scalar'}`);
      }
      const out: Record<string, unknown> = {};
      const seen = new Map<string, string>();
      /** Fields given as null: proto3 JSON for "not set", so a required one is still missing. */
      const unset = new Set<string>();
      const fieldLocations = new Map<string, { path: string; position: SourcePosition }>();
      let ok = true;

      for (const [key, entry] of value.entries) {
        const field = byName.get(key);
        const keyPath = childPath(path, key);
        if (field === undefined) {
          if (options.ignored?.includes(key) || options.ignored?.some((f) => jsonName(f) === key)) continue;
          const unsupportedField = Object.keys(options.unsupported ?? {}).find((f) => f === key || jsonName(f) === key);
          if (unsupportedField !== undefined) {
            ctx.report(keyPath, entry.keyPosition, `field '${unsupportedField}' of ${shortName} is not supported by nodevoy`, options.unsupported?.[unsupportedField] ?? UNSUPPORTED_HINT);
          } else {
            const suggestion = closestName(key, Object.keys(fields));
            ctx.report(keyPath, entry.keyPosition, `unknown field '${key}' in ${typeName}`, suggestion ? `did you mean '${suggestion}'?` : undefined);
          }
          ok = false;
          continue;
        }
        const earlier = seen.get(field);
        if (earlier !== undefined) {
          ctx.report(keyPath, entry.keyPosition, `field '${field}' is given twice (as '${earlier}' and '${key}')`);
          ok = false;
          continue;
        }
        seen.set(field, key);
        // proto3 JSON: null means "not set".
        if (entry.value.kind === 'scalar' && entry.value.value === null && !(fields[field]?.description === 'google.protobuf.Value')) {
          unset.add(field);
          continue;
        }
        const fieldPath = childPath(path, field);
        fieldLocations.set(field, { path: fieldPath, position: entry.keyPosition });
        const parsed = (fields[field] as FieldType<unknown>).parse(entry.value, fieldPath, ctx);
        if (parsed === INVALID) ok = false;
        else out[field] = parsed;
      }

      for (const [field, type] of Object.entries(fields)) {
        if (field in out || (seen.has(field) && !unset.has(field))) continue;
        if ('required' in type && type.required) {
          ctx.report(path, value.position, `missing required field '${field}' in ${shortName}`);
          ok = false;
        } else if ('defaultValue' in type) {
          out[field] = type.defaultValue;
        }
      }

      for (const oneof of options.oneofs ?? []) {
        const set = oneof.fields.filter((f) => seen.has(f) && !unset.has(f));
        if (set.length > 1) {
          ctx.report(path, value.position, `only one of ${oneof.fields.map((f) => `'${f}'`).join(', ')} may be set in ${shortName}, got ${set.join(' and ')}`);
          ok = false;
        } else if (set.length === 0 && oneof.required) {
          ctx.report(path, value.position, `one of ${oneof.fields.map((f) => `'${f}'`).join(', ')} is required in ${shortName}`);
          ok = false;
        }
      }

      if (!ok) return INVALID;
      const result = out as MessageValue<F>;
      ctx.remember(result, { path, position: value.position, fields: fieldLocations });
      if (options.check) {
        let checked = true;
        options.check(result, (field, msg, hint) => {
          const loc = field === undefined ? undefined : fieldLocations.get(field);
          ctx.report(loc?.path ?? path, loc?.position ?? value.position, msg, hint);
          checked = false;
        });
        if (!checked) return INVALID;
      }
      return result;
    },
  };
}

export interface RepeatedRules {
  readonly minItems?: number;
  readonly maxItems?: number;
}

export function repeated<T>(item: FieldType<T>, rules: RepeatedRules = {}): FieldType<T[]> {
  return {
    description: `repeated ${item.description}`,
    parse(value, path, ctx) {
      if (value.kind !== 'list') return ctx.report(path, value.position, `expected a list of ${item.description}`);
      if (rules.minItems !== undefined && value.items.length < rules.minItems) {
        return ctx.report(path, value.position, `value must contain at least ${rules.minItems} item(s)`);
      }
      if (rules.maxItems !== undefined && value.items.length > rules.maxItems) {
        return ctx.report(path, value.position, `value must contain at most ${rules.maxItems} item(s)`);
      }
      const out: T[] = [];
      let ok = true;
      value.items.forEach((element, i) => {
        const parsed = item.parse(element, childPath(path, i), ctx);
        if (parsed === INVALID) ok = false;
        else out.push(parsed);
      });
      return ok ? out : INVALID;
    },
  };
}

/** `map<string, V>`. */
export function mapOf<T>(item: FieldType<T>): FieldType<Record<string, T>> {
  return {
    description: `map<string, ${item.description}>`,
    parse(value, path, ctx) {
      if (value.kind !== 'map') return ctx.report(path, value.position, `expected an object (map of ${item.description})`);
      const out: Record<string, T> = {};
      let ok = true;
      for (const [key, entry] of value.entries) {
        const parsed = item.parse(entry.value, childPath(path, key), ctx);
        if (parsed === INVALID) ok = false;
        else out[key] = parsed;
      }
      return ok ? out : INVALID;
    },
  };
}

/** An empty message such as `internal_listener: {}`. */
export function empty(typeName: string): MessageType<Record<string, never>> {
  return message(typeName, {});
}
