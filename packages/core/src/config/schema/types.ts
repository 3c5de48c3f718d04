import type { ConfigIssue, SourcePosition } from '../../errors.js';
import type { ConfigValue } from '../tree.js';

/** Marks a value that failed to parse; its issue was already reported. */
export const INVALID: unique symbol = Symbol('invalid');
export type Invalid = typeof INVALID;

/** Where a parsed message and each of its fields came from, for later semantic checks. */
export interface NodeLocation {
  readonly path: string;
  readonly position: SourcePosition;
  readonly fields: ReadonlyMap<string, { readonly path: string; readonly position: SourcePosition }>;
}

/**
 * State of one parse: collects every issue (so `--mode validate` can print them all) and
 * remembers where each parsed message came from.
 */
export class ParseContext {
  readonly issues: ConfigIssue[] = [];
  private readonly locations = new WeakMap<object, NodeLocation>();

  constructor(readonly services: ParseServices) {}

  report(path: string, position: SourcePosition | undefined, message: string, hint?: string): Invalid {
    this.issues.push({ path, message, ...(hint ? { hint } : {}), ...(position ? { position } : {}) });
    return INVALID;
  }

  remember(target: object, location: NodeLocation): void {
    this.locations.set(target, location);
  }

  locationOf(target: object): NodeLocation | undefined {
    return this.locations.get(target);
  }
}

/** What the parser needs from outside: resolving `@type` URLs of typed configs. */
export interface ParseServices {
  resolveTypedConfig(category: string, typeUrl: string): TypedConfigResolution;
  resolveByName?(category: string, name: string): TypedConfigResolution;
}

export type TypedConfigResolution =
  | { readonly found: true; readonly schema: FieldType<unknown>; readonly target: unknown }
  | { readonly found: false; readonly message: string; readonly hint?: string };

/** A proto3-JSON field type: turns one config value into a typed value or reports why not. */
export interface FieldType<T> {
  /** How the type is named in messages: `string`, `google.protobuf.Duration`, a message name. */
  readonly description: string;
  parse(value: ConfigValue, path: string, ctx: ParseContext): T | Invalid;
}

/** A field that must be present. */
export interface RequiredField<T> extends FieldType<T> {
  readonly required: true;
}

/** A field with a default used when absent. */
export interface DefaultedField<T> extends FieldType<T> {
  readonly defaultValue: T;
}

export type FieldValue<F> = F extends FieldType<infer T> ? T : never;

type AlwaysPresentKeys<F> = {
  [K in keyof F]: F[K] extends { required: true } | { defaultValue: unknown } ? K : never;
}[keyof F];

/** The TypeScript shape of a parsed message: required and defaulted fields are never undefined. */
export type MessageValue<F> = { readonly [K in AlwaysPresentKeys<F>]: FieldValue<F[K]> } & {
  readonly [K in Exclude<keyof F, AlwaysPresentKeys<F>>]?: FieldValue<F[K]>;
};

/** Envoy's proto3 JSON name for a snake_case field (`stat_prefix` -> `statPrefix`). */
export function jsonName(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Builds a child path: `a.b`, `a[3]`, `a["key"]`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_@][A-Za-z0-9_]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}
