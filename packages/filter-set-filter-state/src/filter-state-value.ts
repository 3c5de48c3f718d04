import { FormatError, compileFormat, formatText, schema, substitutionFormatStringSchema, type FilterState, type FilterStateSharing, type FormatContext, type Formatter, type MessageValue } from '@nodevoy/core';

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
      if (value.format_string.json_format) {
        report('format_string', 'nodevoy sets filter state from text formats only', 'use text_format or text_format_source');
        return;
      }
      try {
        compileFormat(formatText(value.format_string));
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
  const format: Formatter = compileFormat(formatText(config.format_string));
  const sharing = SHARING[config.shared_with_upstream ?? 'NONE'] ?? 'none';
  return {
    apply(filterState, context) {
      const value = format(context);
      if (value === '' && config.skip_if_empty) return;
      filterState.set(config.object_key, value, sharing);
    },
  };
}
