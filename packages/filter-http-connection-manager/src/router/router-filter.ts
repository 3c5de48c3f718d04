import { REQUEST_PASSTHROUGH_HEADER, xxHash64, type FilterFactoryContext, type Host, type LoadBalancerContext, type RequestPassthroughRegistry, type UpstreamCluster } from '@nodevoy/core';
import { countUpstreamResponse, httpPools, type HeaderMap } from '@nodevoy/http';
import { HCM_DEFAULTS } from '../config/hcm-config.js';
import { requestFormatContext, type DecoderFilterCallbacks, type HttpFilter, type HttpFilterStatus } from '../http-filter.js';
import { LocalReplies } from '../local-reply.js';
import type { HcmStats } from '../stats.js';
import { ConnectTerminator } from './connect-terminator.js';
import { setCookieValue } from './hash-policy.js';
import type { ResolvedRoute } from '../routing/route-table.js';
import { DEFAULT_BODY_BUFFER_BYTES, HttpForwarder, type AttemptTarget } from './http-forwarder.js';
import { RetryState } from './retry-state.js';
import { RequestMirror } from './request-mirror.js';
import { redirectFor } from './redirect.js';
import { upstreamRequestHead } from './request-rewrite.js';

const EMPTY = Buffer.alloc(0);

/** What the router filter needs from its connection manager (its stats live under `http.<prefix>.`). */
export interface RouterContext {
  readonly factory: FilterFactoryContext;
  readonly stats: HcmStats;
  /** `suppress_envoy_headers`: no `x-envoy-*` headers added to requests or responses. */
  readonly suppressEnvoyHeaders: boolean;
  /** `start_child_span`: a span per upstream attempt, as the connection manager's `spawn_upstream_span` asks. */
  readonly startChildSpan: boolean;
  readonly passthrough: RequestPassthroughRegistry;
}

const CLUSTER_NOT_FOUND = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 } as const;

/**
 * `envoy.filters.http.router` on one stream: direct responses, redirects, and forwarding to
 * the route's cluster, over HTTP or, for a terminated CONNECT, as raw TCP.
 */
export class RouterFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;
  private target: HttpForwarder | ConnectTerminator | undefined;
  /** The shadows of this request (`request_mirror_policies`), fed its body too. */
  private mirror: RequestMirror | undefined;
  /** The tag of this request's per-request passthrough, withdrawn when the request ends. */
  private passthroughTag: string | undefined;

  constructor(private readonly context: RouterContext) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): HttpFilterStatus {
    const { stats } = this.context;
    const route = this.callbacks.route();
    if (!route) {
      stats.no_route.inc();
      this.callbacks.sendLocalReply(LocalReplies.noRoute());
      return 'stop';
    }
    const config = route.config;
    // The route's response header rules apply to the answers the router makes up, too.
    const mutateHeaders = (responseHeaders: HeaderMap) => {
      const context = { ...requestFormatContext(this.callbacks, headers), responseHeaders };
      for (const mutation of route.responseMutations) mutation.apply(responseHeaders, context);
    };
    // Envoy counts redirects as direct responses (rq_redirect is for internal redirects).
    if (config.direct_response) {
      stats.rq_direct_response.inc();
      this.callbacks.sendLocalReply({ status: config.direct_response.status, body: route.directResponseBody ?? '', details: 'direct_response', mutateHeaders });
      return 'stop';
    }
    if (config.redirect) {
      stats.rq_direct_response.inc();
      const { status, location } = redirectFor(config.redirect, headers, config.match.prefix);
      this.callbacks.sendLocalReply({ status, headers: [['location', location]], details: 'direct_response', mutateHeaders });
      return 'stop';
    }
    const picked = route.pickCluster(headers);
    const cluster = picked ? this.context.factory.server.clusterManager.getCluster(picked.name) : undefined;
    if (!picked || !cluster) {
      stats.no_cluster.inc();
      this.callbacks.sendLocalReply(LocalReplies.clusterNotFound(CLUSTER_NOT_FOUND[route.action?.cluster_not_found_response_code ?? 'SERVICE_UNAVAILABLE']));
      return 'stop';
    }
    stats.rq_total.inc();
    this.callbacks.requestInfo.upstreamCluster = picked.name;
    const setCookies: string[] = [];
    const lbContext = this.loadBalancerContext(route, headers, setCookies);
    const host = cluster.chooseHost(lbContext);
    if (!host) {
      cluster.info.stats.upstream_cx_none_healthy.inc();
      this.callbacks.sendLocalReply(LocalReplies.noHealthyUpstream());
      return 'stop';
    }
    this.callbacks.requestInfo.upstreamHost = host.address;
    if (headers.get(':method') === 'CONNECT' && route.upgrade('CONNECT').terminate) {
      const terminator = new ConnectTerminator(this.callbacks, cluster, host);
      this.target = terminator;
      terminator.start();
      if (endStream) terminator.sendData(EMPTY, true);
      return 'stop';
    }
    const timeoutMs = route.action?.timeout ?? HCM_DEFAULTS.routeTimeoutMs;
    const formatContext = requestFormatContext(this.callbacks, headers);
    const envoyHeaders = !this.context.suppressEnvoyHeaders;
    const perTryIdleTimeoutMs = (route.action?.retry_policy ?? route.virtualHostConfig.retry_policy)?.per_try_idle_timeout ?? 0;
    const options = { timeoutMs, envoyHeaders, formatContext, perTryIdleTimeoutMs };
    // Consumes the x-envoy-retry-* headers, so they are read before the request head is made.
    const retryState = RetryState.create(route.action?.retry_policy ?? route.virtualHostConfig.retry_policy, headers, cluster.info);
    const startedAt = performance.now();
    /** `elapsedMs`: 0 for the first attempt, as Envoy counts it; the time since the first for a retry. */
    const targetFor = (chosen: Host, elapsedMs: number): AttemptTarget => {
      const head = upstreamRequestHead(headers, route, chosen, picked.request, { ...options, timeoutMs: expectedTimeoutMs(timeoutMs, retryState?.perTryTimeoutMs ?? 0, elapsedMs) });
      this.offerPassthrough(cluster, chosen, route.config.metadata?.filter_metadata ?? {}, head.headers);
      return { host: chosen, head, span: this.callbacks.tracing?.startUpstream(picked.name, head.headers, chosen.address, this.context.startChildSpan) };
    };
    const retarget = () => {
      const state = retryState as RetryState;
      let chosen: Host | undefined;
      for (let i = 0; i < state.hostSelectionAttempts; i++) {
        chosen = cluster.chooseHost(lbContext);
        if (!chosen || !state.rejectsHost(chosen)) break;
      }
      return chosen ? targetFor(chosen, performance.now() - startedAt) : undefined;
    };
    const pools = httpPools(this.context.factory.server);
    this.mirror = RequestMirror.start(route.action?.request_mirror_policies, {
      headers,
      runtime: this.context.factory.server.runtime,
      pools,
      worker: this.callbacks.connection.worker,
      requester: this.callbacks.requestInfo,
      loadBalancerContext: lbContext,
      getCluster: (name) => this.context.factory.server.clusterManager.getCluster(name),
      headFor: (chosen) => upstreamRequestHead(headers, route, chosen, undefined, options),
      timeoutMs,
      headersOnly: endStream,
      bufferLimitBytes: this.callbacks.connection.bufferLimitBytes || DEFAULT_BODY_BUFFER_BYTES,
      countResponse: countUpstreamResponse,
    });
    const forwarder = new HttpForwarder(this.callbacks, {
      cluster,
      pools,
      route,
      clusterResponseMutation: picked.response,
      options,
      requester: this.callbacks.requestInfo,
      retry: retryState ? { state: retryState, retarget } : undefined,
      setCookies,
    });
    this.target = forwarder;
    forwarder.start(targetFor(host, 0), endStream);
    return 'stop';
  }

  /**
   * What the cluster's balancer may use: the headers, the original destination, and the route's
   * hash, computed once and only if a hashing balancer asks. A cookie the hash policy generates
   * goes into `setCookies` for the response.
   */
  private loadBalancerContext(route: ResolvedRoute, headers: HeaderMap, setCookies: string[]): LoadBalancerContext {
    const restored = this.callbacks.connectionInfo.restoredLocalAddress;
    const policy = route.hashPolicy;
    const base = { requestHeaders: headers, ...(restored ? { originalDestination: restored } : {}) };
    if (!policy) return base;
    let hash: { value: bigint | undefined } | undefined;
    const connection = this.callbacks.connection;
    const input = {
      headers,
      remoteAddress: this.callbacks.requestInfo.downstreamRemoteAddress ?? connection.remoteAddress,
      filterState: this.callbacks.requestInfo.filterState,
      addCookie: (name: string, path: string, ttlSeconds: number, attributes: readonly { readonly name: string; readonly value?: string }[]) => {
        // Envoy's value: the same for every request of the connection, from its two addresses.
        const value = xxHash64(`${connection.remoteAddress.asString}${connection.localAddress.asString}`).toString(16).padStart(16, '0');
        setCookies.push(setCookieValue(name, value, path, ttlSeconds, attributes));
        return value;
      },
    };
    return { ...base, hashKey: () => (hash ??= { value: policy.generateHash(input) }).value };
  }

  /**
   * To an internal listener, the request takes its own state along (what the cluster's
   * transport socket picks), whichever pooled connection carries it.
   */
  private offerPassthrough(cluster: UpstreamCluster, host: Host, routeMetadata: Readonly<Record<string, Record<string, unknown>>>, headers: HeaderMap): void {
    if (host.address.kind !== 'envoy_internal') return;
    // A retry's attempt offers its own; the one before is not taken any more.
    if (this.passthroughTag !== undefined) this.context.passthrough.withdraw(this.passthroughTag);
    this.passthroughTag = undefined;
    const info = this.callbacks.requestInfo;
    const bundle = cluster.transportSocket?.requestPassthrough?.({ dynamicMetadata: info.dynamicMetadata, routeMetadata, filterState: info.filterState });
    if (!bundle) return;
    this.passthroughTag = this.context.passthrough.offer(bundle);
    headers.set(REQUEST_PASSTHROUGH_HEADER, this.passthroughTag);
  }

  decodeData(data: Buffer, endStream: boolean): HttpFilterStatus {
    this.mirror?.sendData(data, endStream);
    this.target?.sendData(data, endStream);
    return 'stop';
  }

  /** Request trailers end the body upstream; they are not sent on (a documented difference). */
  decodeTrailers(): HttpFilterStatus {
    this.mirror?.sendData(EMPTY, true);
    this.target?.sendData(EMPTY, true);
    return 'stop';
  }

  onDestroy(): void {
    if (this.passthroughTag !== undefined) this.context.passthrough.withdraw(this.passthroughTag);
    this.mirror?.abandon();
    this.target?.abandon();
  }
}

/**
 * Envoy's x-envoy-expected-rq-timeout-ms for an attempt: what is left of the route timeout
 * (`elapsedMs` after the request began), or the per-try timeout when that is shorter.
 */
function expectedTimeoutMs(routeTimeoutMs: number, perTryMs: number, elapsedMs: number): number {
  const left = routeTimeoutMs > 0 ? Math.max(1, routeTimeoutMs - Math.floor(elapsedMs)) : 0;
  if (perTryMs > 0) return left > 0 ? Math.min(perTryMs, left) : perTryMs;
  return left;
}
