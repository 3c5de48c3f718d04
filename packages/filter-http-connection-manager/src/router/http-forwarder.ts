import type { Host, UpstreamCluster, UpstreamRequester } from '@nodevoy/core';
import { HeaderMap, stripHopByHop, stripHopByHopKeepingUpgrade, type HttpPools, type RequestHead, type ResponseHead, type UpstreamFailure, type UpstreamRequest } from '@nodevoy/http';
import type { DecoderFilterCallbacks } from '../http-filter.js';
import { LocalReplies } from '../local-reply.js';
import type { HeaderMutation } from '@nodevoy/http';
import type { ResolvedRoute } from '../routing/route-table.js';
import type { ForwardingOptions } from './request-rewrite.js';

/**
 * Forwards one request to an upstream host over the cluster's HTTP pool and streams the
 * response back, with Envoy's upstream stats, route timeout and local replies.
 */
export class HttpForwarder {
  private upstream: UpstreamRequest | undefined;
  private responseStarted = false;
  private finished = false;
  private pausedForDownstream = false;
  private timer: NodeJS.Timeout | undefined;
  private sentAt = 0;

  constructor(
    private readonly callbacks: DecoderFilterCallbacks,
    private readonly cluster: UpstreamCluster,
    private readonly host: Host,
    private readonly route: ResolvedRoute,
    private readonly clusterResponseMutation: HeaderMutation | undefined,
    private readonly options: ForwardingOptions,
  ) {}

  /** `requester`: the request, as an upstream connection it opens inherits from it. */
  start(pools: HttpPools, head: RequestHead, endStream: boolean, requester: UpstreamRequester): void {
    this.upstream = pools.request(this.cluster, this.host, this.callbacks.connection.worker, head, endStream, requester, {
      onAssigned: () => this.onAssigned(),
      onContinue: () => {
        if (!this.finished && !this.responseStarted) this.callbacks.encodeContinue();
      },
      onResponseHeaders: (response, end) => this.onResponseHeaders(response, end),
      onResponseData: (data, end) => this.onResponseData(data, end),
      onResponseTrailers: (trailers) => {
        this.callbacks.encodeTrailers(trailers);
        this.complete();
      },
      onFailure: (failure) => this.onFailure(failure),
      onWritable: () => {
        this.cluster.info.stats.upstream_flow_control_drained_total.inc();
        this.callbacks.readDisable(false);
      },
    });
    if (endStream) this.armTimeout();
  }

  sendData(data: Buffer, endStream: boolean): void {
    if (!this.upstream || this.finished) return;
    if (!this.upstream.sendData(data, endStream)) {
      // Envoy's counters for a request body the upstream connection cannot take yet.
      this.cluster.info.stats.upstream_flow_control_backed_up_total.inc();
      this.callbacks.readDisable(true);
    }
    if (endStream) this.armTimeout();
  }

  /** The downstream went away: abandon the upstream request. */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimeout();
    this.upstream?.reset();
  }

  private onAssigned(): void {
    this.sentAt = performance.now();
  }

  private onResponseHeaders(response: ResponseHead, endStream: boolean): void {
    if (this.finished) return;
    this.responseStarted = true;
    const headers = new HeaderMap();
    headers.add(':status', String(response.status));
    const upstreamHeaders = response.headers.clone();
    // A 101 switches protocols: its `upgrade` and `connection` reach the client as they came.
    if (response.status === 101) stripHopByHopKeepingUpgrade(upstreamHeaders);
    else stripHopByHop(upstreamHeaders);
    for (const [name, value] of upstreamHeaders) headers.add(name, value);
    // Envoy times final responses only, so not a 101.
    if (this.options.envoyHeaders && response.status >= 200) headers.set('x-envoy-upstream-service-time', String(Math.round(performance.now() - this.sentAt)));
    this.mutateResponse(headers);
    this.countResponse(response.status);
    this.callbacks.encodeHeaders(headers, endStream);
    if (endStream) this.complete();
  }

  private onResponseData(data: Buffer, endStream: boolean): void {
    if (this.finished) return;
    const writable = this.callbacks.encodeData(data, endStream);
    if (endStream) {
      this.complete();
      return;
    }
    if (!writable && !this.pausedForDownstream) {
      // Envoy's counters for a response the client is not reading fast enough: one pause, one
      // resume, however many chunks were already on their way.
      const stats = this.cluster.info.stats;
      this.pausedForDownstream = true;
      stats.upstream_flow_control_paused_reading_total.inc();
      this.upstream?.readDisable(true);
      this.callbacks.onDownstreamWritable(() => {
        this.pausedForDownstream = false;
        stats.upstream_flow_control_resumed_reading_total.inc();
        this.upstream?.readDisable(false);
      });
    }
  }

  private onFailure(failure: UpstreamFailure): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimeout();
    if (this.responseStarted) {
      this.callbacks.resetStream();
      return;
    }
    const reply = failure.hopFailure ? LocalReplies.innerHopFailure(failure.hopFailure) : LocalReplies.upstreamFailure(failure.resetReason, upstreamFailureDetails(failure));
    this.countResponse(reply.status);
    this.callbacks.sendLocalReply({ ...reply, mutateHeaders: (h) => this.mutateLocalReply(h) });
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimeout();
  }

  /** The route timeout runs from the end of the request to the end of the response. */
  private armTimeout(): void {
    if (this.options.timeoutMs <= 0 || this.timer || this.finished) return;
    this.timer = setTimeout(() => this.onTimeout(), this.options.timeoutMs);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.finished) return;
    this.cluster.info.stats.upstream_rq_timeout.inc();
    this.host.stats.rq_timeout++;
    const responseStarted = this.responseStarted;
    this.abandon();
    if (responseStarted) this.callbacks.resetStream();
    else {
      this.countResponse(504);
      this.callbacks.sendLocalReply({ ...LocalReplies.upstreamTimeout(), mutateHeaders: (h) => this.mutateLocalReply(h) });
    }
  }

  /** The cluster's and the route's response header rules on an upstream answer. */
  private mutateResponse(headers: HeaderMap): void {
    this.mutateLocalReply(headers);
    const context = { ...this.options.formatContext, responseHeaders: headers };
    for (const mutation of this.route.responseMutations) mutation.apply(headers, context);
  }

  /** On a reply made here, the cluster's rules: the connection manager applies the route's to every local reply. */
  private mutateLocalReply(headers: HeaderMap): void {
    this.clusterResponseMutation?.apply(headers, { ...this.options.formatContext, responseHeaders: headers });
  }

  /** Envoy's router charges every upstream response code, local 503/504 included. */
  private countResponse(status: number): void {
    const scope = this.cluster.info.statsScope;
    scope.counter(`upstream_rq_${status}`).inc();
    scope.counter(`upstream_rq_${Math.floor(status / 100)}xx`).inc();
    this.cluster.info.stats.upstream_rq_completed.inc();
  }

  private clearTimeout(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function upstreamFailureDetails(failure: UpstreamFailure): string {
  if (failure.kind === 'connect') return 'upstream_reset_before_response_started{connection_failure}';
  if (failure.kind === 'overflow') return 'upstream_reset_before_response_started{overflow}';
  return 'upstream_reset_before_response_started';
}
