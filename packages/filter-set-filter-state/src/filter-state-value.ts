import { FormatError, compileFormat, schema, type FilterState, type FilterStateSharing, type FormatContext, type Formatter, type MessageValue } from '@nodevoy/core';

const dataSourceSchema = schema.message(
  'envoy.config.core.v3.DataSource',
  { inline_string: schema.string() },
  {
    oneofs: [{ fields: ['inline_string'], required: true }],
    unsupported: { filename: 'use inline_string', inline_bytes: 'use inline_string', environment_variable: 'use inline_string' },
  },
);

const substitutionFormatStringSchema = schema.message(
  'envoy.config.core.v3.SubstitutionFormatString',
  { text_format: schema.string(), text_format_source: dataSourceSchema, omit_empty_values: schema.bool() },
  {
    oneofs: [{ fields: ['text_format', 'text_format_source'], required: true }],
    unsupported: { json_format: 'use text_format_source', formatters: 'custom formatters are not supported by nodevoy' },
  },
);

export const filterStateValueSchema = schema.message(
  'envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue',
  {
    object_key: schema.required(schema.string({ minLen: 1 })),
    /** nodevoy stores every value as a string (Envoy's default `envoy.string` object). */
    factory_key: schema.string(),
    format_string: schema.required(substitutionFormatStringSchema),
    read_only: schema.bool(),
    shared_with_upstream: schema.enumOf('envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue.SharedWithUpstream', [
      'NONE',
      'ONCE',
      'TRANSITIVE',
    ] as const),
    skip_if_empty: schema.bool(),
  },
  {
    check(value, report) {
      const format = value.format_string.text_format ?? value.format_string.text_format_source?.inline_string ?? '';
      try {
        compileFormat(format);
      } catch (err) {
        if (err instanceof FormatError) report('format_string', err.message);
        else throw err;
      }
    },
  },
);

export type FilterStateValueConfig = MessageValue<typeof filterStateValueSchema.fields>;

const SHARING: Readonly<Record<string, FilterStateSharing>> = { NONE: 'none', ONCE: 'once', TRANSITIVE: 'transitive' };

/** One configured object: its key, its value's format, how it is shared with upstream. */
export interface FilterStateSetter {
  apply(filterState: FilterState, context: FormatContext): void;
}

export function filterStateSetter(config: FilterStateValueConfig): FilterStateSetter {
  const format: Formatter = compileFormat(config.format_string.text_format ?? config.format_string.text_format_source?.inline_string ?? '');
  const sharing = SHARING[config.shared_with_upstream ?? 'NONE'] ?? 'none';
  return {
    apply(filterState, context) {
      const value = format(context);
      if (value === '' && config.skip_if_empty) return;
      filterState.set(config.object_key, value, sharing);
    },
  };
}
