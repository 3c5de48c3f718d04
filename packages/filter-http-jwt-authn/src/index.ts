import { extensionPackage, readDataSource, type NodevoyExtension, type ServerContext, type StatsScope } from '@nodevoy/core';
import { HTTP_FILTER_CATEGORY, HTTP_FILTER_ROUTE_CONFIG_CATEGORY, routeMatcher, type HttpFilterFactory, type HttpFilterRouteConfigFactory } from '@nodevoy/filter-http-connection-manager';
import { jwtAuthenticationSchema, jwtPerRouteSchema, type JwtAuthenticationConfig, type JwtPerRouteConfig, type JwtProviderConfig } from './config.js';
import { JwtAuthnFilter, type JwtAuthnSettings } from './jwt-authn-filter.js';
import { keySet, LocalKeys, RemoteKeys, type KeySource } from './key-sources.js';
import { JwtProvider } from './provider.js';
import { compileRequirement, type Requirement } from './requirement.js';

const NAME = 'envoy.filters.http.jwt_authn';

function keySource(provider: JwtProviderConfig, server: ServerContext, scope: StatsScope, prefix: string): KeySource {
  const remote = provider.remote_jwks;
  if (remote) {
    const stats = { success: scope.counter(`${prefix}jwks_fetch_success`), failed: scope.counter(`${prefix}jwks_fetch_failed`) };
    return new RemoteKeys({ uri: remote.http_uri.uri, cluster: remote.http_uri.cluster, timeoutMs: remote.http_uri.timeout, cacheMs: remote.cache_duration }, stats);
  }
  const local = provider.local_jwks as NonNullable<JwtProviderConfig['local_jwks']>;
  try {
    return new LocalKeys(keySet(readDataSource(local).toString('utf8')));
  } catch (err) {
    server.configIssue(local, undefined, `Jwks is not valid: ${(err as Error).message}`);
    return { keys: () => Promise.resolve(undefined) };
  }
}

/** `envoy.filters.http.jwt_authn`. */
export const httpJwtAuthn: HttpFilterFactory<JwtAuthenticationConfig> = {
  name: NAME,
  category: HTTP_FILTER_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'],
  configSchema: jwtAuthenticationSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context, statsScope, filterConfigName) {
    const server = context.server;
    const prefix = `jwt_authn.${config.stat_prefix ? `${config.stat_prefix}.` : ''}`;
    const providers = new Map(Object.entries(config.providers ?? {}).map(([name, provider]) => [name, new JwtProvider(name, provider, keySource(provider, server, statsScope, prefix))]));
    const compile = (requirement: Parameters<typeof compileRequirement>[0], where: object): Requirement =>
      compileRequirement(requirement, providers, (name) => server.configIssue(where, undefined, `Wrong requirement config: provider name ${name} is not found`));
    const requirementMap = new Map(Object.entries(config.requirement_map ?? {}).map(([name, requirement]) => [name, compile(requirement, config.requirement_map as object)]));
    const rules = (config.rules ?? []).map((rule) => {
      let requirement = compile(rule.requires, rule);
      if (rule.requirement_name !== undefined) {
        const named = requirementMap.get(rule.requirement_name);
        if (!named) server.configIssue(rule, 'requirement_name', `Wrong requirement_name: ${rule.requirement_name}. It should be one of [${[...requirementMap.keys()].join(',')}]`);
        requirement = named ?? requirement;
      }
      return { matches: routeMatcher(rule.match), requirement };
    });
    const settings: JwtAuthnSettings = {
      rules,
      requirementMap,
      bypassCorsPreflight: config.bypass_cors_preflight ?? false,
      stats: {
        allowed: statsScope.counter(`${prefix}allowed`),
        denied: statsScope.counter(`${prefix}denied`),
        cors_preflight_bypassed: statsScope.counter(`${prefix}cors_preflight_bypassed`),
        jwt_cache_miss: statsScope.counter(`${prefix}jwt_cache_miss`),
      },
      server,
      filterConfigName,
    };
    // Envoy makes these for every filter, fetched from a remote JWKS or not.
    for (const name of ['jwks_fetch_success', 'jwks_fetch_failed', 'jwt_cache_hit']) statsScope.counter(`${prefix}${name}`);
    return (addFilter) => addFilter(new JwtAuthnFilter(settings));
  },
};

/** `PerRouteConfig`: the filter off for a route, or the `requirement_map` entry it needs. */
export const httpJwtAuthnRouteConfig: HttpFilterRouteConfigFactory<JwtPerRouteConfig, JwtPerRouteConfig> = {
  name: NAME,
  category: HTTP_FILTER_ROUTE_CONFIG_CATEGORY,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig'],
  configSchema: jwtPerRouteSchema,
  createRouteSpecificFilterConfig: (config) => config,
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(httpJwtAuthn).add(httpJwtAuthnRouteConfig);
  },
};
