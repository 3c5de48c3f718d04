import { Category } from '../../registry/categories.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';
import { accessLogFilterSchema } from './access-log-filter.js';
import { compileJsonFormat } from '../../formatter/json-format.js';
import { compileFormat, type Formatter } from '../../formatter/substitution-format.js';

const { message, string, bool, struct } = schema;

const inlineDataSourceSchema = message(
  'envoy.config.core.v3.DataSource',
  { inline_string: string() },
  {
    oneofs: [{ fields: ['inline_string'], required: true }],
    unsupported: { filename: 'use inline_string', inline_bytes: 'use inline_string', environment_variable: 'use inline_string' },
  },
);

/** Envoy's `SubstitutionFormatString`, in its text forms. */
export const substitutionFormatStringSchema = message(
  'envoy.config.core.v3.SubstitutionFormatString',
  { text_format: string(), text_format_source: inlineDataSourceSchema, json_format: struct(), omit_empty_values: bool(), content_type: string() },
  {
    oneofs: [{ fields: ['text_format', 'text_format_source', 'json_format'], required: true }],
    unsupported: { formatters: 'custom formatters are not supported by nodevoy' },
    ignored: ['json_format_options'],
  },
);

export type SubstitutionFormatStringConfig = MessageValue<typeof substitutionFormatStringSchema.fields>;

/** The format text of a `SubstitutionFormatString` in a text form. */
export function formatText(config: SubstitutionFormatStringConfig): string {
  return config.text_format ?? config.text_format_source?.inline_string ?? '';
}

/**
 * A `SubstitutionFormatString` compiled: text (a missing value written as `missing`) or
 * `json_format`. Throws FormatError for an operator Envoy does not know.
 */
export function compileSubstitutionFormat(config: SubstitutionFormatStringConfig, missing = ''): Formatter {
  if (config.json_format) return compileJsonFormat(config.json_format, config.omit_empty_values ?? false);
  return compileFormat(formatText(config), missing);
}

/** An `access_log` entry of a connection manager, tcp_proxy or listener (`envoy.config.accesslog.v3.AccessLog`). */
export const accessLogSchema = schema.extensionEntry('envoy.config.accesslog.v3.AccessLog', Category.accessLogger, {}, { filter: accessLogFilterSchema });

/** Envoy's default access log format (`%START_TIME%` ... `"%UPSTREAM_HOST%"`). */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';
