import { clusterReferences } from './routing/cluster-references.js';
import { Category, createAccessLoggers, parseCidr, requestPassthrough, type ExtensionEntry, type FilterFactoryContext, type NetworkFilterFactory } from '@nodevoy/core';
import type { CodecOptions } from './codec/codecs.js';
import { HCM_DEFAULTS, httpConnectionManagerSchema, type HttpConnectionManagerConfig } from './config/hcm-config.js';
import { HttpConnectionManagerFilter, type HcmShared } from './hcm-filter.js';
import type { HcmRuntime } from './hcm-runtime.js';
import type { HttpFilterChainEntry, HttpFilterFactory } from './http-filter.js';
import { RdsRoutes } from './routing/rds-routes.js';
import { RouteTable } from './routing/route-table.js';
import { createHcmStats } from './stats.js';
import { compileHttpTracing } from './tracing/http-tracing.js';

/** Builds the HTTP filter chain with Envoy's rule: the terminal filter (router) comes last. */
function httpFilterFactories(entries: readonly ExtensionEntry[], context: FilterFactoryContext, statsPrefix: string): HttpFilterChainEntry[] {
  const issues = context.server;
  if (entries.length === 0) {
    issues.configIssue(entries, undefined, 'http_filters must end with a terminal filter (envoy.filters.http.router)');
  }
  return entries.map((entry, i) => {
    const factory = entry.typed.target as HttpFilterFactory;
    const last = i === entries.length - 1;
    if (factory.isTerminalFilter && !last) {
      issues.configIssue(entry, undefined, `Error: terminal filter named ${entry.name} of type ${factory.name} must be the last filter in a http filter chain.`);
    } else if (!factory.isTerminalFilter && last) {
      issues.configIssue(entry, undefined, `Error: non-terminal filter named ${entry.name} of type ${factory.name} is the last filter in a http filter chain.`);
    }
    const create = factory.createFilterFactory(entry.typed.config, context, context.server.stats.scope(statsPrefix), entry.name);
    return { name: entry.name, disabled: entry.extra?.['disabled'] === true, create };
  });
}

/** `envoy.filters.network.http_connection_manager`. */
export const httpConnectionManagerFilter: NetworkFilterFactory<HttpConnectionManagerConfig> = {
  name: 'envoy.filters.network.http_connection_manager',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'],
  configSchema: httpConnectionManagerSchema,
  isTerminalFilter: true,
  clusterReferences,
  createFilterFactory(config, context) {
    const server = context.server;
    const statsPrefix = `http.${config.stat_prefix}`;
    let streams = 0;
    const runtime: HcmRuntime = {
      config,
      stats: createHcmStats(server.stats.scope(statsPrefix)),
      routes: config.rds
        ? new RdsRoutes(config.rds, config.upgrade_configs ?? [], context, statsPrefix)
        : new RouteTable(config.route_config ?? {}, config.upgrade_configs ?? [], context),
      filterFactories: httpFilterFactories(config.http_filters ?? [], context, statsPrefix),
      log: server.log.child('http'),
      serverName: config.server_name ?? HCM_DEFAULTS.serverName,
      serverHeader: config.server_header_transformation ?? 'OVERWRITE',
      acceptHttp10: config.http_protocol_options?.accept_http_10 ?? false,
      proxy100Continue: config.proxy_100_continue ?? false,
      streamIdleTimeoutMs: config.stream_idle_timeout ?? HCM_DEFAULTS.streamIdleTimeoutMs,
      requestTimeoutMs: config.request_timeout ?? 0,
      stripHostPort: config.strip_any_host_port ? 'any' : config.strip_matching_host_port ? 'matching' : undefined,
      pathNormalization: { normalize: config.normalize_path ?? false, mergeSlashes: config.merge_slashes ?? false },
      headersWithUnderscoresAction: config.common_http_protocol_options?.headers_with_underscores_action ?? 'ALLOW',
      via: config.via || undefined,
      maxRequestsPerConnection: config.common_http_protocol_options?.max_requests_per_connection ?? 0,
      connectionIdleTimeoutMs: config.common_http_protocol_options?.idle_timeout ?? HCM_DEFAULTS.connectionIdleTimeoutMs,
      maxConnectionDurationMs: config.common_http_protocol_options?.max_connection_duration ?? 0,
      drainDecision: context.drainDecision,
      maxStreamDurationMs: config.common_http_protocol_options?.max_stream_duration ?? 0,
      forwardedFor: {
        useRemoteAddress: config.use_remote_address ?? false,
        xffNumTrustedHops: config.xff_num_trusted_hops ?? 0,
        skipXffAppend: config.skip_xff_append ?? false,
        internalRanges: (config.internal_address_config?.cidr_ranges ?? []).flatMap((range) => parseCidr(range.address_prefix, range.prefix_len ?? 0) ?? []),
      },
      generateRequestId: config.generate_request_id ?? true,
      preserveExternalRequestId: config.preserve_external_request_id ?? false,
      alwaysSetRequestIdInResponse: config.always_set_request_id_in_response ?? false,
      forwardClientCert: config.forward_client_cert_details ?? 'SANITIZE',
      clientCertDetails: config.set_current_client_cert_details ?? {},
      nextStreamId: () => ++streams,
      requestPassthrough: requestPassthrough(server.services),
      accessLoggers: createAccessLoggers(config.access_log, server),
      tracing: compileHttpTracing(config.tracing, context.listener.trafficDirection, server),
    };
    const http2 = config.http2_protocol_options;
    const codecOptions: CodecOptions = {
      maxRequestHeadersBytes: (config.max_request_headers_kb ?? HCM_DEFAULTS.maxRequestHeadersKb) * 1024,
      http1: {
        enableTrailers: config.http_protocol_options?.enable_trailers ?? false,
        allowChunkedLength: config.http_protocol_options?.allow_chunked_length ?? false,
        defaultHostForHttp10: config.http_protocol_options?.default_host_for_http_10,
        maxHeadersCount: config.common_http_protocol_options?.max_headers_count ?? HCM_DEFAULTS.maxHeadersCount,
      },
      http2Settings: {
        // Advertised in SETTINGS, as Envoy does, with Envoy's default.
        maxConcurrentStreams: http2?.max_concurrent_streams ?? HCM_DEFAULTS.maxConcurrentStreams,
        ...(http2?.initial_stream_window_size !== undefined ? { initialWindowSize: http2.initial_stream_window_size } : {}),
        ...(http2?.allow_connect ? { enableConnectProtocol: true } : {}),
        ...(http2?.hpack_table_size !== undefined ? { headerTableSize: http2.hpack_table_size } : {}),
      },
    };
    const live = new Set<HttpConnectionManagerFilter>();
    const shared: HcmShared = {
      runtime,
      codecType: config.codec_type === 'HTTP1' || config.codec_type === 'HTTP2' ? config.codec_type : 'AUTO',
      codecOptions,
      live,
    };
    server.lifecycle.onDrain(() => {
      for (const connection of [...live]) connection.drain();
    });
    return (filterManager) => filterManager.addReadFilter(new HttpConnectionManagerFilter(shared));
  },
};
