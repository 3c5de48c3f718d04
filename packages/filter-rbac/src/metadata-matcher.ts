import { schema, stringMatcher, stringMatcherSchema, type DynamicMetadata, type FieldType, type StringMatcherConfig } from '@nodevoy/core';

const { message, repeated, string, bool, double, required } = schema;

export interface ValueMatcherConfig {
  readonly null_match?: Record<string, never>;
  readonly double_match?: { readonly exact?: number; readonly range?: { readonly start?: number; readonly end?: number } };
  readonly string_match?: StringMatcherConfig;
  readonly bool_match?: boolean;
  readonly present_match?: boolean;
  readonly list_match?: { readonly one_of: ValueMatcherConfig };
}

const valueMatcher: FieldType<ValueMatcherConfig> = {
  description: 'envoy.type.matcher.v3.ValueMatcher',
  parse: (value, path, ctx) => valueMatcherSchema.parse(value, path, ctx),
};

const valueMatcherSchema: FieldType<ValueMatcherConfig> = message(
  'envoy.type.matcher.v3.ValueMatcher',
  {
    null_match: schema.empty('envoy.type.matcher.v3.ValueMatcher.NullMatch'),
    double_match: message(
      'envoy.type.matcher.v3.DoubleMatcher',
      { exact: double(), range: message('envoy.type.v3.DoubleRange', { start: double(), end: double() }) },
      { oneofs: [{ fields: ['exact', 'range'], required: true }] },
    ),
    string_match: stringMatcherSchema,
    bool_match: bool(),
    present_match: bool(),
    list_match: message('envoy.type.matcher.v3.ListMatcher', { one_of: required(valueMatcher) }),
  },
  {
    oneofs: [{ fields: ['null_match', 'double_match', 'string_match', 'bool_match', 'present_match', 'list_match'], required: true }],
    unsupported: { or_match: 'not implemented by nodevoy yet' },
  },
);

/** `envoy.type.matcher.v3.MetadataMatcher`: a value in a filter's dynamic metadata. */
export const metadataMatcherSchema = message('envoy.type.matcher.v3.MetadataMatcher', {
  filter: required(string({ minLen: 1 })),
  path: required(repeated(message('envoy.type.matcher.v3.MetadataMatcher.PathSegment', { key: required(string({ minLen: 1 })) }), { minItems: 1 })),
  value: required(valueMatcherSchema),
  invert: bool(),
});
export interface MetadataMatcherConfig {
  readonly filter: string;
  readonly path: readonly { readonly key: string }[];
  readonly value: ValueMatcherConfig;
  readonly invert?: boolean;
}

/** A value read from metadata: `undefined` when the path leads nowhere (Envoy's unset kind). */
type Value = unknown;

function compileValueMatcher(config: ValueMatcherConfig): (value: Value) => boolean {
  if (config.null_match) return (v) => v === null;
  if (config.present_match !== undefined) return (v) => (v !== undefined) === config.present_match;
  if (config.bool_match !== undefined) return (v) => v === config.bool_match;
  if (config.string_match) {
    const match = stringMatcher(config.string_match);
    return (v) => typeof v === 'string' && match(v);
  }
  if (config.double_match) {
    const { exact, range } = config.double_match;
    if (exact !== undefined) return (v) => v === exact;
    const start = range?.start ?? 0;
    const end = range?.end ?? 0;
    return (v) => typeof v === 'number' && v >= start && v < end;
  }
  const element = compileValueMatcher((config.list_match as { one_of: ValueMatcherConfig }).one_of);
  return (v) => Array.isArray(v) && v.some(element);
}

/** Envoy's MetadataMatcher over dynamic metadata: the value at `filter` / path, then `invert`. */
export function metadataMatcher(config: MetadataMatcherConfig): (metadata: DynamicMetadata) => boolean {
  const match = compileValueMatcher(config.value);
  const invert = config.invert ?? false;
  return (metadata) => {
    let value: Value = metadata.get(config.filter);
    for (const { key } of config.path) {
      value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    }
    return match(value) !== invert;
  };
}
