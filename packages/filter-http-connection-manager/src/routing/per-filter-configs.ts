import { schema, type ConfigIssueReporter, type ExtensionFactory, type FilterFactoryContext, type TypedConfig } from '@nodevoy/core';
import type { FieldType } from '@nodevoy/core';

/** The registry category of HTTP filters' per-route configs (`typed_per_filter_config` values). */
export const HTTP_FILTER_ROUTE_CONFIG_CATEGORY = 'envoy.filters.http.route_config';

/**
 * A filter's config for one route, virtual host or route configuration, registered beside the
 * filter (same name, its per-route `@type`). Filters read it with `perFilterConfig()`.
 */
export interface HttpFilterRouteConfigFactory<C = unknown, R = unknown> extends ExtensionFactory<C> {
  readonly category: typeof HTTP_FILTER_ROUTE_CONFIG_CATEGORY;
  /** Compiles the config once, when the routes load; what the filter reads (default: the config as parsed). */
  createRouteSpecificFilterConfig?(config: C, context: FilterFactoryContext): R;
}

/** `config: {}` in a FilterConfig: the filter is enabled here, with no config of its own. */
const NO_CONFIG = Symbol('no per-route config');

/** An `Any` that may be empty (`{}`), as FilterConfig's `config` may be. */
function optionalTypedConfig(category: string): FieldType<TypedConfig | typeof NO_CONFIG> {
  const typed = schema.typedConfig(category);
  return {
    description: 'google.protobuf.Any',
    parse: (value, path, ctx) => (value.kind === 'map' && value.entries.size === 0 ? NO_CONFIG : typed.parse(value, path, ctx)),
  };
}

interface FilterConfigValue {
  readonly config?: TypedConfig | typeof NO_CONFIG;
  readonly is_optional?: boolean;
  readonly disabled?: boolean;
}

/** `envoy.config.route.v3.FilterConfig`: wraps a per-route config, or enables or disables the filter here. */
export const filterConfigWrapper: HttpFilterRouteConfigFactory<FilterConfigValue> = {
  name: 'envoy.config.route.v3.FilterConfig',
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.config.route.v3.FilterConfig'],
  configSchema: schema.message('envoy.config.route.v3.FilterConfig', {
    config: optionalTypedConfig(HTTP_FILTER_ROUTE_CONFIG_CATEGORY),
    is_optional: schema.bool(),
    disabled: schema.bool(),
  }),
};

interface Entry {
  readonly disabled: boolean;
  /** The compiled config; undefined when the entry only enables the filter. */
  readonly config: unknown;
}

/**
 * One level's `typed_per_filter_config`, compiled, by filter name, with Envoy's rules: a
 * FilterConfig with `disabled` turns the filter off here; any other entry turns it on (with
 * its config, or none for `config: {}`); a FilterConfig without `config` is an error.
 */
export class PerFilterConfigs {
  static readonly EMPTY = new PerFilterConfigs(new Map());

  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  static compile(map: Readonly<Record<string, TypedConfig>> | undefined, context: FilterFactoryContext, issues: ConfigIssueReporter): PerFilterConfigs {
    if (!map || Object.keys(map).length === 0) return PerFilterConfigs.EMPTY;
    const entries = new Map<string, Entry>();
    for (const [name, typed] of Object.entries(map)) {
      if (typed.target !== filterConfigWrapper) {
        entries.set(name, { disabled: false, config: compiled(typed, context) });
        continue;
      }
      const wrapper = typed.config as FilterConfigValue;
      if (wrapper.disabled) entries.set(name, { disabled: true, config: undefined });
      else if (wrapper.config === undefined) issues.configIssue(wrapper, 'config', `Empty route/virtual host per filter configuration for ${name} filter`);
      else entries.set(name, { disabled: false, config: wrapper.config === NO_CONFIG ? undefined : compiled(wrapper.config, context) });
    }
    return new PerFilterConfigs(entries);
  }

  config(name: string): unknown {
    return this.entries.get(name)?.config;
  }

  /** Whether this level turns the filter off (true), on (false), or says nothing (undefined). */
  disabled(name: string): boolean | undefined {
    return this.entries.get(name)?.disabled;
  }
}

function compiled(typed: TypedConfig, context: FilterFactoryContext): unknown {
  const factory = typed.target as HttpFilterRouteConfigFactory;
  return factory.createRouteSpecificFilterConfig ? factory.createRouteSpecificFilterConfig(typed.config, context) : typed.config;
}
