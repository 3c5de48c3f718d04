import { schema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, required } = schema;

/** `envoy.type.matcher.v3.RegexMatcher`: Envoy's RE2; nodevoy runs it as a JS RegExp. */
export const regexMatcherSchema = message(
  'envoy.type.matcher.v3.RegexMatcher',
  { regex: required(string({ minLen: 1 })), google_re2: schema.struct() },
  {
    check(value, report) {
      try {
        new RegExp(value.regex);
      } catch (err) {
        report('regex', `invalid regex: ${(err as Error).message}`);
      }
    },
  },
);

export const stringMatcherSchema = message(
  'envoy.type.matcher.v3.StringMatcher',
  {
    exact: string(),
    prefix: string({ minLen: 1 }),
    suffix: string({ minLen: 1 }),
    contains: string({ minLen: 1 }),
    safe_regex: regexMatcherSchema,
    ignore_case: bool(),
  },
  { oneofs: [{ fields: ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'], required: true }] },
);
export type StringMatcherConfig = MessageValue<typeof stringMatcherSchema.fields>;

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
