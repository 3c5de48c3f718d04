import type { FormatContext, Host, UpstreamCluster } from '@nodevoy/core';
import { HeaderMap, stripHopByHop, type HttpPools, type RequestHead, type ResponseHead, type UpstreamFailure, type UpstreamRequest } from '@nodevoy/http';
import type { DecoderFilterCallbacks } from '../http-filter.js';
import { LocalReplies } from '../local-reply.js';
import type { HeaderMutation } from '../routing/header-mutation.js';
import type { ResolvedRoute } from '../routing/route-table.js';

/**
 * Forwards one request to an upstream host over the cluster's HTTP pool and streams the
 * response back, with Envoy's upstream stats, route timeout and local replies.
 */
export class HttpForwarder {
  private upstream: UpstreamRequest | undefined;
  private responseStarted = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private sentAt = 0;
  private assigned = false;

  constructor(
    private readonly callbacks: DecoderFilterCallbacks,
    private readonly cluster: UpstreamCluster,
    private readonly host: Host,
    private readonly route: ResolvedRoute,
    private readonly clusterResponseMutation: HeaderMutation | undefined,
    private readonly timeoutMs: number,
    private readonly context: FormatContext,
  ) {}

  start(pools: HttpPools, head: RequestHead, endStream: boolean): void {
    const stats = this.cluster.info.stats;
    stats.upstream_rq_pending_total.inc();
    stats.upstream_rq_pending_active.inc();
    this.upstream = pools.request(this.cluster, this.host, this.callbacks.connection.worker, head, endStream, {
      onAssigned: () => this.onAssigned(),
      onResponseHeaders: (response, end) => this.onResponseHeaders(response, end),
      onResponseData: (data, end) => this.onResponseData(data, end),
      onResponseTrailers: (trailers) => {
        this.callbacks.encodeTrailers(trailers);
        this.complete();
      },
      onFailure: (failure) => this.onFailure(failure),
      onWritable: () => this.callbacks.readDisable(false),
    });
    if (endStream) this.armTimeout();
  }

  sendData(data: Buffer, endStream: boolean): void {
    if (!this.upstream || this.finished) return;
    if (!this.upstream.sendData(data, endStream)) this.callbacks.readDisable(true);
    if (endStream) this.armTimeout();
  }

  /** The downstream went away: abandon the upstream request. */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimeout();
    if (!this.assigned) this.leavePending();
    this.upstream?.reset();
    this.cluster.info.stats.upstream_rq_cancelled.inc();
    if (this.assigned) {
      this.cluster.info.stats.upstream_rq_active.dec();
      this.host.stats.rq_active--;
    }
  }

  private onAssigned(): void {
    if (this.assigned || this.finished) return;
    this.assigned = true;
    this.sentAt = performance.now();
    const stats = this.cluster.info.stats;
    this.leavePending();
    stats.upstream_rq_total.inc();
    stats.upstream_rq_active.inc();
    this.host.stats.rq_total++;
    this.host.stats.rq_active++;
  }

  private onResponseHeaders(response: ResponseHead, endStream: boolean): void {
    if (this.finished) return;
    this.responseStarted = true;
    const headers = new HeaderMap();
    headers.add(':status', String(response.status));
    const upstreamHeaders = response.headers.clone();
    stripHopByHop(upstreamHeaders);
    for (const [name, value] of upstreamHeaders) headers.add(name, value);
    headers.set('x-envoy-upstream-service-time', String(Math.round(performance.now() - this.sentAt)));
    const context = { ...this.context, responseHeaders: headers };
    this.clusterResponseMutation?.apply(headers, context);
    for (const mutation of this.route.responseMutations) mutation.apply(headers, context);
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
    if (!writable) {
      this.upstream?.readDisable(true);
      this.callbacks.onDownstreamWritable(() => this.upstream?.readDisable(false));
    }
  }

  private onFailure(failure: UpstreamFailure): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimeout();
    const stats = this.cluster.info.stats;
    if (!this.assigned) {
      this.leavePending();
      if (failure.kind === 'overflow') stats.upstream_rq_pending_overflow.inc();
      else stats.upstream_rq_pending_failure_eject.inc();
    } else {
      stats.upstream_rq_active.dec();
      this.host.stats.rq_active--;
    }
    if (this.responseStarted) {
      this.callbacks.resetStream();
      return;
    }
    this.countResponse(503);
    this.callbacks.sendLocalReply(LocalReplies.upstreamFailure(failure.resetReason, failure.kind === 'connect' ? 'upstream_reset_before_response_started{connection_failure}' : 'upstream_reset_before_response_started'));
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimeout();
    this.cluster.info.stats.upstream_rq_completed.inc();
    this.cluster.info.stats.upstream_rq_active.dec();
    this.host.stats.rq_active--;
    this.host.stats.rq_success++;
  }

  /** The route timeout runs from the end of the request to the end of the response. */
  private armTimeout(): void {
    if (this.timeoutMs <= 0 || this.timer || this.finished) return;
    this.timer = setTimeout(() => this.onTimeout(), this.timeoutMs);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.finished) return;
    const stats = this.cluster.info.stats;
    stats.upstream_rq_timeout.inc();
    this.host.stats.rq_timeout++;
    const responseStarted = this.responseStarted;
    this.abandon();
    if (responseStarted) this.callbacks.resetStream();
    else {
      this.countResponse(504);
      this.callbacks.sendLocalReply(LocalReplies.upstreamTimeout());
    }
  }

  private countResponse(status: number): void {
    const scope = this.cluster.info.statsScope;
    scope.counter(`upstream_rq_${status}`).inc();
    scope.counter(`upstream_rq_${Math.floor(status / 100)}xx`).inc();
  }

  private leavePending(): void {
    this.cluster.info.stats.upstream_rq_pending_active.dec();
  }

  private clearTimeout(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
