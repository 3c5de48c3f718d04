import { featureEnabled, sampled, type Runtime, type ServerContext, type StatsScope } from '@nodevoy/core';
import { requestFormatContext, type DecoderFilterCallbacks, type HttpFilter, type HttpFilterResult, type HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import { countUpstreamResponse, type HeaderMap } from '@nodevoy/http';
import type { AuthzClient, PendingCheck } from './authz-client.js';
import type { AuthzResponse, HeaderList } from './authz-response.js';
import { connectionAttributes, httpRequestAttributes, type AttributeContext } from './check-request.js';
import type { BufferSettingsConfig, ExtAuthzPerRouteConfig, HttpExtAuthzConfig } from './config.js';
import { applyQueryChanges } from './query-parameters.js';
import type { ExtAuthzStats } from './stats.js';

/** The dynamic metadata namespace the service's metadata goes into. */
export const METADATA_NAMESPACE = 'envoy.filters.http.ext_authz';
/** A request allowed through a failed check carries this, with `failure_mode_allow_header_add`. */
const FAILURE_MODE_ALLOWED_HEADER = 'x-envoy-auth-failure-mode-allowed';

/** One ExtAuthz config, compiled: what every request of the filter shares. */
export interface HttpExtAuthzSettings {
  readonly config: HttpExtAuthzConfig;
  readonly client: AuthzClient;
  readonly stats: ExtAuthzStats;
  readonly server: ServerContext;
  readonly runtime: Runtime;
  /** Which request headers the service sees. */
  readonly sendsHeader: (name: string) => boolean;
  /** The name routes hold this filter's ExtAuthzPerRoute under. */
  readonly filterConfigName: string;
}

/** The body held for a check (`with_request_body`): its limit and what arrived. */
interface BufferedBody {
  readonly settings: BufferSettingsConfig;
  readonly chunks: Buffer[];
  bytes: number;
  ended: boolean;
  trailers?: HeaderMap;
  /** Reading paused while the check runs, past what it takes. */
  readDisabled: boolean;
}

/** Request headers a check may not remove: the request would be malformed without them. */
function removable(name: string): boolean {
  return !name.startsWith(':') && name !== 'host';
}

/**
 * `envoy.filters.http.ext_authz` on one request (Envoy's ExtAuthz filter): the request waits
 * while an authorization service checks it (with its body, up to `with_request_body`, when
 * asked); allowed, it goes on with the header changes the service asked for; denied, the
 * client gets the service's status, body and headers (`ext_authz_denied`); when the service
 * cannot answer, `status_on_error` (403) unless `failure_mode_allow` lets it through.
 */
export class HttpExtAuthzFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private headers: HeaderMap | undefined;
  private pending: PendingCheck | undefined;
  private buffering: BufferedBody | undefined;
  private responseHeadersToAdd: HeaderList = [];
  private responseHeadersToSet: HeaderList = [];
  private contextExtensions: Record<string, string> = {};

  constructor(private readonly settings: HttpExtAuthzSettings) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterResult {
    const routeConfigs = (this.callbacks.route()?.perFilterConfigs(this.settings.filterConfigName) ?? []) as ExtAuthzPerRouteConfig[];
    if (routeConfigs.at(-1)?.disabled) return 'continue';
    const { config, stats } = this.settings;
    const enabled = config.filter_enabled ? sampled(this.settings.runtime, config.filter_enabled.runtime_key, config.filter_enabled.default_value) : true;
    if (!enabled) {
      stats.disabled.inc();
      if (!featureEnabled(this.settings.runtime, config.deny_at_disable, false)) return 'continue';
      this.reject(config.status_on_error?.code ?? 403, 'ext_authz_error');
      return 'stop';
    }
    this.headers = headers;
    for (const routeConfig of routeConfigs) Object.assign(this.contextExtensions, routeConfig.check_settings?.context_extensions);
    const checkSettings = routeConfigs.at(-1)?.check_settings;
    const bodySettings = checkSettings?.with_request_body ?? config.with_request_body;
    const upgrade = headers.has('upgrade') || headers.get(':method') === 'CONNECT';
    if (bodySettings && !checkSettings?.disable_request_body_buffering && !endStream && !upgrade) {
      this.buffering = { settings: bodySettings, chunks: [], bytes: 0, ended: false, readDisabled: false };
      return 'stop';
    }
    return this.check();
  }

  decodeData(data: Buffer, endStream: boolean): HttpFilterStatus {
    const buffering = this.buffering;
    if (!buffering) return 'continue';
    buffering.chunks.push(data);
    buffering.bytes += data.length;
    buffering.ended = endStream;
    if (this.pending) {
      // The check already has what it takes; the rest waits for the decision without reading more.
      if (!buffering.readDisabled) {
        buffering.readDisabled = true;
        this.callbacks.readDisable(true);
      }
      return 'stop';
    }
    const { max_request_bytes: max, allow_partial_message: partial } = buffering.settings;
    if (buffering.bytes > max && !partial) {
      this.buffering = undefined;
      this.callbacks.sendLocalReply({ status: 413, body: 'Payload Too Large', details: 'request_payload_too_large' });
      return 'stop';
    }
    if (endStream || buffering.bytes >= max) this.startBufferedCheck();
    return 'stop';
  }

  decodeTrailers(trailers: HeaderMap): HttpFilterStatus {
    const buffering = this.buffering;
    if (!buffering) return 'continue';
    buffering.trailers = trailers;
    if (!this.pending) this.startBufferedCheck();
    return 'stop';
  }

  encodeHeaders(headers: HeaderMap): HttpFilterStatus {
    for (const [name, value] of this.responseHeadersToAdd) headers.add(name, value);
    for (const [name, value] of this.responseHeadersToSet) headers.set(name, value);
    return 'continue';
  }

  onDestroy(): void {
    this.pending?.cancel();
    this.pending = undefined;
  }

  /** Asks the service; the chain waits for the decision. */
  private check(): Promise<HttpFilterStatus> {
    const pending = this.settings.client.check(this.attributes(), {
      server: this.settings.server,
      worker: this.callbacks.connection.worker,
      requester: this.callbacks.requestInfo,
      formatContext: requestFormatContext(this.callbacks, this.headers as HeaderMap),
    });
    this.pending = pending;
    const startedAt = performance.now();
    return pending.result.then((response) => {
      this.pending = undefined;
      return this.onComplete(response, performance.now() - startedAt);
    });
  }

  /** The body (or as much as the limit allows) is here: the check starts, and the body follows the decision. */
  private startBufferedCheck(): void {
    void this.check().then((status) => {
      const buffering = this.buffering;
      this.buffering = undefined;
      if (buffering?.readDisabled) this.callbacks.readDisable(false);
      if (status !== 'continue' || !buffering) return;
      const body = Buffer.concat(buffering.chunks);
      const endStream = buffering.ended && !buffering.trailers;
      if (body.length > 0 || endStream) this.callbacks.injectDecodedDataToFilterChain(body, endStream);
      if (buffering.trailers) this.callbacks.addDecodedTrailers(buffering.trailers);
      this.callbacks.continueDecoding();
    });
  }

  private attributes(): AttributeContext {
    const callbacks = this.callbacks;
    const { config } = this.settings;
    const buffered = this.buffering;
    const body = buffered && {
      bytes: Buffer.concat(buffered.chunks).subarray(0, buffered.settings.max_request_bytes),
      partial: !buffered.ended && !buffered.trailers,
      packAsBytes: buffered.settings.pack_as_bytes ?? false,
    };
    const metadata: Record<string, unknown> = {};
    for (const namespace of config.metadata_context_namespaces ?? []) {
      const value = callbacks.requestInfo.dynamicMetadata.get(namespace) ?? callbacks.connectionInfo.dynamicMetadata.get(namespace);
      if (value !== undefined) metadata[namespace] = value;
    }
    const connection = callbacks.connection;
    return {
      ...connectionAttributes({
        remoteAddress: callbacks.requestInfo.downstreamRemoteAddress ?? connection.remoteAddress,
        localAddress: connection.localAddress,
        ssl: connection.ssl,
        includePeerCertificate: config.include_peer_certificate ?? false,
        includeTlsSession: config.include_tls_session ?? false,
      }),
      request: httpRequestAttributes({
        headers: this.headers as HeaderMap,
        streamId: callbacks.streamId,
        protocol: callbacks.protocol,
        startTimeMs: callbacks.requestInfo.startTimeMs,
        sendsHeader: this.settings.sendsHeader,
        ...(body ? { body } : {}),
      }),
      context_extensions: this.contextExtensions,
      metadata_context: { filter_metadata: metadata },
    };
  }

  private onComplete(response: AuthzResponse, elapsedMs: number): HttpFilterStatus {
    const { config, stats } = this.settings;
    const metadata = response.dynamicMetadata;
    if (Object.keys(metadata).length > 0) {
      const duration = response.status === 'ok' ? { ext_authz_duration: Math.round(elapsedMs) } : {};
      this.callbacks.requestInfo.setDynamicMetadata(METADATA_NAMESPACE, { ...metadata, ...duration });
    }
    const cluster = this.routeCluster();
    const countCluster = (name: string) => cluster?.info.statsScope.counter(`${stats.prefix}${name}`).inc();
    switch (response.status) {
      case 'ok':
        stats.ok.inc();
        countCluster('ok');
        this.allow(response);
        return 'continue';
      case 'denied':
        stats.denied.inc();
        countCluster('denied');
        if (cluster && config.charge_cluster_response_stats !== false) countUpstreamResponse(cluster, response.statusCode);
        this.reject(response.statusCode, 'ext_authz_denied', response);
        return 'stop';
      case 'error':
        stats.error.inc();
        countCluster('error');
        if (config.failure_mode_allow) {
          stats.failure_mode_allowed.inc();
          countCluster('failure_mode_allowed');
          if (config.failure_mode_allow_header_add) this.headers?.set(FAILURE_MODE_ALLOWED_HEADER, 'true');
          return 'continue';
        }
        this.reject(config.status_on_error?.code ?? 403, 'ext_authz_error');
        return 'stop';
    }
  }

  /** The service's changes to the request, and the headers it asked for on the response. */
  private allow(response: AuthzResponse): void {
    const headers = this.headers as HeaderMap;
    for (const [name, value] of response.headersToSet) headers.set(name, value);
    for (const [name, value] of response.headersToAdd) headers.add(name, value);
    for (const [name, value] of response.headersToAppend) {
      const existing = headers.get(name);
      if (existing !== undefined) headers.set(name, `${existing},${value}`);
    }
    for (const name of response.headersToRemove) if (removable(name)) headers.remove(name);
    const queryChanged = applyQueryChanges(headers, response.queryParametersToSet, response.queryParametersToRemove);
    this.responseHeadersToAdd = response.responseHeadersToAdd;
    this.responseHeadersToSet = response.responseHeadersToSet;
    const changed = queryChanged || [response.headersToSet, response.headersToAdd, response.headersToAppend, response.headersToRemove].some((list) => list.length > 0);
    if (changed && this.settings.config.clear_route_cache) this.callbacks.clearRouteCache();
  }

  private reject(status: number, details: string, response?: AuthzResponse): void {
    this.callbacks.requestInfo.responseFlags.set('UAEX');
    const deniedHeaders = response?.deniedHeaders ?? [];
    this.callbacks.sendLocalReply({
      status,
      body: response?.body ?? '',
      details,
      mutateHeaders: (headers) => {
        for (const { name, value, append } of deniedHeaders) {
          if (name === 'content-length' || name.startsWith(':')) continue;
          if (append) headers.add(name, value);
          else headers.set(name, value);
        }
      },
    });
  }

  private routeCluster() {
    const name = this.callbacks.route()?.action?.cluster;
    return name === undefined ? undefined : this.settings.server.clusterManager.getCluster(name);
  }
}
