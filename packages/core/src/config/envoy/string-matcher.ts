import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

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

/** `envoy.type.matcher.v3.StringMatcher`, which many extensions match names and values with. */
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

/** A StringMatcher as a predicate; a regex must match the whole value, as RE2's full match. */
export function stringMatcher(config: StringMatcherConfig): (value: string) => boolean {
  const fold = config.ignore_case ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (config.exact !== undefined) {
    const exact = fold(config.exact);
    return (v) => fold(v) === exact;
  }
  if (config.prefix !== undefined) {
    const prefix = fold(config.prefix);
    return (v) => fold(v).startsWith(prefix);
  }
  if (config.suffix !== undefined) {
    const suffix = fold(config.suffix);
    return (v) => fold(v).endsWith(suffix);
  }
  if (config.contains !== undefined) {
    const contains = fold(config.contains);
    return (v) => fold(v).includes(contains);
  }
  const regex = new RegExp(`^(?:${config.safe_regex?.regex ?? ''})$`, config.ignore_case ? 'i' : '');
  return (v) => regex.test(v);
}

/** `envoy.type.matcher.v3.RegexMatchAndSubstitute`: every match of the pattern replaced. */
export const regexMatchAndSubstituteSchema = message('envoy.type.matcher.v3.RegexMatchAndSubstitute', {
  pattern: required(regexMatcherSchema),
  substitution: string(),
});
export type RegexMatchAndSubstituteConfig = MessageValue<typeof regexMatchAndSubstituteSchema.fields>;

/** A RegexMatchAndSubstitute as a function: RE2's `GlobalReplace`, Envoy's `\1` group references as JS's `$1`. */
export function regexRewrite(config: RegexMatchAndSubstituteConfig): (value: string) => string {
  const pattern = new RegExp(config.pattern.regex, 'g');
  const substitution = (config.substitution ?? '').replace(/\\(\d)/g, '$$$1');
  return (value) => value.replace(pattern, substitution);
}
