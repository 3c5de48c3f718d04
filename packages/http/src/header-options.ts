import { schema, type MessageValue } from '@nodevoy/core';

const { message, string, bool, repeated, required, enumOf } = schema;

export const headerValueOptionSchema = message(
  'envoy.config.core.v3.HeaderValueOption',
  {
    header: required(message('envoy.config.core.v3.HeaderValue', { key: required(string({ minLen: 1 })), value: string(), raw_value: string() })),
    append: bool(),
    append_action: enumOf('envoy.config.core.v3.HeaderValueOption.HeaderAppendAction', [
      'APPEND_IF_EXISTS_OR_ADD',
      'ADD_IF_ABSENT',
      'OVERWRITE_IF_EXISTS_OR_ADD',
      'OVERWRITE_IF_EXISTS',
    ] as const),
    keep_empty_value: bool(),
  },
  {
    check(value, report) {
      if (value.append !== undefined && value.append_action !== undefined) report('append', 'append and append_action are mutually exclusive');
    },
  },
);
export type HeaderValueOptionConfig = MessageValue<typeof headerValueOptionSchema.fields>;

export const headersToAdd = () => repeated(headerValueOptionSchema, { maxItems: 1000 });
export const headersToRemove = () => repeated(string({ minLen: 1 }), { maxItems: 1000 });

