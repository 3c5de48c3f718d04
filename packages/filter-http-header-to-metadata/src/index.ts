import { extensionPackage, regexMatchAndSubstituteSchema, regexRewrite, schema, type MessageValue, type NodevoyExtension } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, perFilterConfig, type HttpFilterFactory, type HttpFilterRouteConfigFactory } from '@nodevoy/filter-http-connection-manager';
import { HeaderToMetadataFilter, type CompiledRule, type CompiledRules, type MetadataEntry } from './header-to-metadata-filter.js';

const { message, string, repeated, bool, enumOf } = schema;

const NAME = 'envoy.filters.http.header_to_metadata';
const TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.header_to_metadata.v3.Config';

const keyValuePairSchema = message(
  'envoy.extensions.filters.http.header_to_metadata.v3.Config.KeyValuePair',
  {
    metadata_namespace: string(),
    key: schema.required(string({ minLen: 1 })),
    value: string(),
    regex_value_rewrite: regexMatchAndSubstituteSchema,
    type: enumOf('envoy.extensions.filters.http.header_to_metadata.v3.Config.ValueType', ['STRING', 'NUMBER', 'PROTOBUF_VALUE'] as const, {
      PROTOBUF_VALUE: 'not implemented by nodevoy yet; use STRING or NUMBER',
    }),
    encode: enumOf('envoy.extensions.filters.http.header_to_metadata.v3.Config.ValueEncode', ['NONE', 'BASE64'] as const),
  },
  {
    check(value, report) {
      if (value.value !== undefined && value.value !== '' && value.regex_value_rewrite) report('regex_value_rewrite', 'value and regex_value_rewrite are mutually exclusive');
    },
  },
);

const ruleSchema = message(
  'envoy.extensions.filters.http.header_to_metadata.v3.Config.Rule',
  { header: string({ minLen: 1 }), cookie: string({ minLen: 1 }), on_header_present: keyValuePairSchema, on_header_missing: keyValuePairSchema, remove: bool() },
  {
    oneofs: [{ fields: ['header', 'cookie'], required: true }],
    check(value, report) {
      if (value.on_header_missing && !value.on_header_missing.value) report('on_header_missing', 'a rule applied when the header is missing needs a value');
      if (!value.on_header_present && !value.on_header_missing && !value.remove) report(undefined, 'one of on_header_present, on_header_missing or remove is required');
      if (value.cookie && value.remove) report('remove', 'cookies cannot be removed');
    },
  },
);

const configSchema = message('envoy.extensions.filters.http.header_to_metadata.v3.Config', {
  request_rules: repeated(ruleSchema),
  response_rules: repeated(ruleSchema),
});
type HeaderToMetadataConfig = MessageValue<typeof configSchema.fields>;
type RuleConfig = MessageValue<typeof ruleSchema.fields>;
type KeyValuePairConfig = MessageValue<typeof keyValuePairSchema.fields>;

/** Envoy's default namespace for the metadata the filter writes. */
const DEFAULT_NAMESPACE = NAME;

function compilePair(pair: KeyValuePairConfig | undefined): MetadataEntry | undefined {
  if (!pair) return undefined;
  return {
    namespace: pair.metadata_namespace || DEFAULT_NAMESPACE,
    key: pair.key,
    value: pair.value || undefined,
    rewrite: pair.regex_value_rewrite ? regexRewrite(pair.regex_value_rewrite) : undefined,
    type: pair.type === 'NUMBER' ? 'number' : 'string',
    base64: pair.encode === 'BASE64',
  };
}

function compileRule(rule: RuleConfig): CompiledRule {
  return {
    header: rule.header?.toLowerCase(),
    cookie: rule.cookie,
    onPresent: compilePair(rule.on_header_present),
    onMissing: compilePair(rule.on_header_missing),
    remove: rule.remove ?? false,
  };
}

const compileRules = (config: HeaderToMetadataConfig): CompiledRules => ({ request: (config.request_rules ?? []).map(compileRule), response: (config.response_rules ?? []).map(compileRule) });

/** `envoy.filters.http.header_to_metadata`. */
export const httpHeaderToMetadata: HttpFilterFactory<HeaderToMetadataConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema,
  isTerminalFilter: false,
  createFilterFactory(config, _context, _statsScope, filterConfigName) {
    const rules = compileRules(config);
    return (addFilter) => addFilter(new HeaderToMetadataFilter(rules, (callbacks) => perFilterConfig<CompiledRules>(callbacks, filterConfigName)));
  },
};

/** A route's Config replaces the filter's rules there. */
export const httpHeaderToMetadataRouteConfig: HttpFilterRouteConfigFactory<HeaderToMetadataConfig, CompiledRules> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: [TYPE_URL],
  configSchema,
  createRouteSpecificFilterConfig: compileRules,
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpHeaderToMetadata).add(httpHeaderToMetadataRouteConfig);
  },
};
