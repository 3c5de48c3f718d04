import { regexMatcherSchema, schema, stringMatcherSchema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, required } = schema;

export const headerMatcherSchema = message(
  'envoy.config.route.v3.HeaderMatcher',
  {
    name: required(string({ minLen: 1 })),
    exact_match: string(),
    safe_regex_match: regexMatcherSchema,
    present_match: bool(),
    prefix_match: string({ minLen: 1 }),
    suffix_match: string({ minLen: 1 }),
    contains_match: string({ minLen: 1 }),
    string_match: stringMatcherSchema,
    invert_match: bool(),
    treat_missing_header_as_empty: bool(),
  },
  {
    oneofs: [{ fields: ['exact_match', 'safe_regex_match', 'present_match', 'prefix_match', 'suffix_match', 'contains_match', 'string_match'] }],
    unsupported: { range_match: 'not implemented by nodevoy yet' },
  },
);
export type HeaderMatcherConfig = MessageValue<typeof headerMatcherSchema.fields>;
