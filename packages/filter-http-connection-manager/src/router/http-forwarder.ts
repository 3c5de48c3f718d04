import { upstreamTransportFailureReason, type Host, type UpstreamCluster, type UpstreamRequester } from '@nodevoy/core';
import { countUpstreamResponse, HeaderMap, stripHopByHop, stripHopByHopKeepingUpgrade, type HttpPools, type RequestHead, type ResponseHead, type UpstreamFailure, type UpstreamRequest } from '@nodevoy/http';
import type { DecoderFilterCallbacks, LocalReply } from '../http-filter.js';
import { LocalReplies } from '../local-reply.js';
import type { HeaderMutation } from '@nodevoy/http';
import type { ResolvedRoute } from '../routing/route-table.js';
import type { ForwardingOptions } from './request-rewrite.js';
import type { RetryState, RetryVerdict } from './retry-state.js';
import type { UpstreamSpan } from '../tracing/request-tracing.js';

const EMPTY = Buffer.alloc(0);
/** What a request body may take while it is kept for a retry, when the connection sets no limit. */
/** Envoy's default connection buffer limit: what a retry (or a shadow) may hold of a body when the connection sets none. */
export const DEFAULT_BODY_BUFFER_BYTES = 1024 * 1024;

/** Where one attempt goes: the host, and the request as it is sent there. */
export interface AttemptTarget {
  readonly host: Host;
  readonly head: RequestHead;
  /** The attempt's own span (`spawn_upstream_span`), ended with the attempt. */
  readonly span?: UpstreamSpan | undefined;
}

/** The request's retries: its state, and where the next attempt goes (undefined: no host left). */
export interface RetryPlan {
  readonly state: RetryState;
  retarget(): AttemptTarget | undefined;
}

/** What a forwarder needs beyond the request: the cluster, its pools, the route, the options. */
export interface ForwarderSetup {
  readonly cluster: UpstreamCluster;
  readonly pools: HttpPools;
  readonly route: ResolvedRoute;
  readonly clusterResponseMutation: HeaderMutation | undefined;
  readonly options: ForwardingOptions;
  /** The request, as an upstream connection it opens inherits from it. */
  readonly requester: UpstreamRequester;
  readonly retry: RetryPlan | undefined;
  /** `set-cookie` values for the response (a hash policy's generated cookie). */
  readonly setCookies: readonly string[];
}

/**
 * Forwards one request to an upstream over the cluster's HTTP pool and streams the response back,
 * with Envoy's upstream stats, route timeout and local replies; under a retry policy, attempt
 * after attempt (the body kept to be sent again, within the buffer limit), each with its
 * per-try timeout and a jittered back-off before the next.
 */
export class HttpForwarder {
  private upstream: UpstreamRequest | undefined;
  private attempt = 0;
  private attemptsMade = 0;
  private attemptAssigned = false;
  private responseStarted = false;
  private finished = false;
  private pausedForDownstream = false;
  private downstreamReadDisabled = false;
  private timer: NodeJS.Timeout | undefined;
  private perTryTimer: NodeJS.Timeout | undefined;
  /** `per_try_idle_timeout`: runs from the attempt's connection until the attempt ends, restarted by every byte. */
  private perTryIdleTimer: NodeJS.Timeout | undefined;
  private backoffTimer: NodeJS.Timeout | undefined;
  private sentAt = 0;
  private requestEnded = false;
  /** The request body so far, kept while a retry may have to send it again. */
  private body: Buffer[] | undefined;
  private bodyBytes = 0;
  private retry: RetryPlan | undefined;
  private host: Host | undefined;
  /** The current attempt's span, and the answer it got. */
  private attemptSpan: UpstreamSpan | undefined;
  private attemptResponse: ResponseHead | undefined;

  constructor(
    private readonly callbacks: DecoderFilterCallbacks,
    private readonly setup: ForwarderSetup,
  ) {
    this.retry = setup.retry;
    if (this.retry) this.body = [];
  }

  private get cluster(): UpstreamCluster {
    return this.setup.cluster;
  }

  start(target: AttemptTarget, endStream: boolean): void {
    this.requestEnded = endStream;
    this.send(target);
  }

  sendData(data: Buffer, endStream: boolean): void {
    if (this.finished) return;
    if (endStream) this.requestEnded = true;
    if (this.body && data.length > 0) this.keep(data);
    if (this.finished) return;
    this.perTryIdleTimer?.refresh();
    if (this.upstream && !this.upstream.sendData(data, endStream)) {
      // Envoy's counters for a request body the upstream connection cannot take yet.
      this.cluster.info.stats.upstream_flow_control_backed_up_total.inc();
      this.setDownstreamReadDisabled(true);
    }
    if (endStream) this.requestComplete();
  }

  /** The downstream went away: abandon the upstream request. */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    this.endAttemptSpan();
    this.clearTimers();
    this.upstream?.reset();
    this.retry?.state.release();
  }

  /** Starts one attempt at `target`, and sends it what the request has so far. */
  private send(target: AttemptTarget): void {
    const attempt = ++this.attempt;
    this.attemptsMade++;
    this.endAttemptSpan();
    this.attemptSpan = target.span;
    const current = () => attempt === this.attempt && !this.finished;
    this.attemptAssigned = false;
    this.host = target.host;
    this.callbacks.requestInfo.upstreamHost = target.host.address;
    this.retry?.state.triedHosts.push(target.host);
    const headersOnly = this.requestEnded && this.bodyBytes === 0;
    this.upstream = this.setup.pools.request(this.cluster, target.host, this.callbacks.connection.worker, target.head, headersOnly, this.setup.requester, {
      onAssigned: () => {
        if (!current()) return;
        this.cluster.outlier.putResult(target.host, 'LocalOriginConnectSuccess');
        this.attemptAssigned = true;
        const idleMs = this.setup.options.perTryIdleTimeoutMs ?? 0;
        if (idleMs > 0) this.perTryIdleTimer = setTimeout(() => this.onPerTryIdleTimeout(), idleMs);
        this.sentAt = performance.now();
      },
      onContinue: () => {
        if (current() && !this.responseStarted) this.callbacks.encodeContinue();
      },
      onResponseHeaders: (response, end) => {
        this.perTryIdleTimer?.refresh();
        if (current()) this.onResponseHeaders(response, end);
      },
      onResponseData: (data, end) => {
        this.perTryIdleTimer?.refresh();
        if (current()) this.onResponseData(data, end);
      },
      onResponseTrailers: (trailers) => {
        if (!current()) return;
        this.callbacks.encodeTrailers(trailers);
        this.complete();
      },
      onFailure: (failure) => {
        if (current()) this.onFailure(failure);
      },
      onWritable: () => {
        if (!current()) return;
        this.cluster.info.stats.upstream_flow_control_drained_total.inc();
        this.setDownstreamReadDisabled(false);
      },
    });
    if (!headersOnly) {
      const kept = this.body ?? [];
      kept.forEach((chunk, i) => this.upstream?.sendData(chunk, this.requestEnded && i === kept.length - 1));
      if (this.requestEnded && kept.length === 0) this.upstream.sendData(EMPTY, true);
    }
    if (this.requestEnded) this.requestComplete();
  }

  /** The whole request is on its way: the route timeout starts, and this attempt's per-try timeout. */
  private requestComplete(): void {
    this.armTimeout();
    const perTryMs = this.retry?.state.perTryTimeoutMs ?? 0;
    if (perTryMs > 0 && !this.perTryTimer && this.upstream) this.perTryTimer = setTimeout(() => this.onPerTryTimeout(), perTryMs);
  }

  /** Keeps a body chunk for retries; past the buffer limit, retries are given up, as Envoy does. */
  private keep(data: Buffer): void {
    this.body?.push(data);
    this.bodyBytes += data.length;
    const limit = this.callbacks.connection.bufferLimitBytes || DEFAULT_BODY_BUFFER_BYTES;
    if (this.bodyBytes <= limit) return;
    this.cluster.info.stats.retry_or_shadow_abandoned.inc();
    this.retry?.state.release();
    this.retry = undefined;
    this.body = undefined;
    // Waiting to retry, with nothing left to retry with.
    if (!this.upstream) this.fail(LocalReplies.retryBufferExceeded());
  }

  private onResponseHeaders(response: ResponseHead, endStream: boolean): void {
    this.attemptResponse = response;
    // Every attempt's answer counts for outlier detection, retried or not, as Envoy's router reports it.
    if (this.host) this.cluster.outlier.putHttpResponseCode(this.host, response.status);
    const headers = new HeaderMap();
    headers.add(':status', String(response.status));
    const upstreamHeaders = response.headers.clone();
    // A 101 switches protocols: its `upgrade` and `connection` reach the client as they came.
    if (response.status === 101) stripHopByHopKeepingUpgrade(upstreamHeaders);
    else stripHopByHop(upstreamHeaders);
    for (const [name, value] of upstreamHeaders) headers.add(name, value);
    if (this.retry && response.status >= 200 && this.retryIf(this.retry.state.onResponse(headers))) return;
    this.clearPerTryTimer();
    this.responseStarted = true;
    this.retry?.state.release();
    // Envoy times final responses only, so not a 101.
    if (this.setup.options.envoyHeaders && response.status >= 200) headers.set('x-envoy-upstream-service-time', String(Math.round(performance.now() - this.sentAt)));
    this.mutateResponse(headers);
    this.countResponse(response.status);
    this.callbacks.encodeHeaders(headers, endStream);
    if (endStream) this.complete();
  }

  private onResponseData(data: Buffer, endStream: boolean): void {
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
    this.clearPerTryTimer();
    this.clearPerTryIdleTimer();
    if (this.host && failure.kind !== 'overflow') this.cluster.outlier.putResult(this.host, 'LocalOriginConnectFailed');
    if (this.responseStarted) {
      this.finished = true;
      this.endAttemptSpan();
      this.clearTimers();
      this.callbacks.resetStream();
      return;
    }
    if (this.retry && this.retryIf(this.retry.state.onFailure(failure, this.attemptAssigned))) return;
    if (failure.hopFailure) return this.fail(LocalReplies.innerHopFailure(failure.hopFailure));
    const reply = LocalReplies.upstreamFailure(failure.resetReason, upstreamFailureDetails(failure), this.attemptsMade > 1);
    // A circuit breaker said no: Envoy tells the client the proxy, not the upstream, is overloaded.
    const overloaded = failure.kind === 'overflow' && this.setup.options.envoyHeaders;
    this.fail(overloaded ? { ...reply, headers: [['x-envoy-overloaded', 'true']] } : reply);
  }

  private onPerTryTimeout(): void {
    this.perTryTimer = undefined;
    this.cluster.info.stats.upstream_rq_per_try_timeout.inc();
    if (this.host) this.cluster.outlier.putResult(this.host, 'LocalOriginTimeout', 504);
    this.upstream?.reset();
    if (this.retry && this.retryIf(this.retry.state.onPerTryTimeout())) return;
    this.fail(LocalReplies.perTryTimeout());
  }

  /**
   * The attempt moved no byte for `per_try_idle_timeout`: as a per-try timeout (counted, maybe
   * retried, else 504), except that a response already under way is reset.
   */
  private onPerTryIdleTimeout(): void {
    this.perTryIdleTimer = undefined;
    this.cluster.info.stats.upstream_rq_per_try_idle_timeout.inc();
    if (this.host) this.cluster.outlier.putResult(this.host, 'LocalOriginTimeout', 504);
    this.upstream?.reset();
    if (this.responseStarted) {
      this.finished = true;
      this.endAttemptSpan();
      this.clearTimers();
      this.callbacks.resetStream();
      return;
    }
    if (this.retry && this.retryIf(this.retry.state.onPerTryTimeout())) return;
    this.fail(LocalReplies.perTryIdleTimeout());
  }

  /** Starts the back-off before the next attempt if the verdict is to retry; false if not. */
  private retryIf(verdict: RetryVerdict): boolean {
    if (!verdict.retry) {
      if (verdict.reason === 'limit_exceeded') this.callbacks.requestInfo.responseFlags.set('URX');
      // As Envoy: the retry budget's overflow is an upstream overflow.
      if (verdict.reason === 'overflow') this.callbacks.requestInfo.responseFlags.set('UO');
      return false;
    }
    const plan = this.retry as RetryPlan;
    // What the attempt given up still reports is not this request's any more.
    this.attempt++;
    this.upstream?.reset();
    this.upstream = undefined;
    this.clearPerTryTimer();
    this.clearPerTryIdleTimer();
    this.setDownstreamReadDisabled(false);
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.finished) return;
      const target = plan.retarget();
      if (target) this.send(target);
      else this.fail(LocalReplies.noHealthyUpstream());
    }, verdict.delayMs);
    return true;
  }

  /** The attempt's span ends with what the attempt got (nothing: status 0). */
  private endAttemptSpan(): void {
    const response = this.attemptResponse;
    this.attemptSpan?.finish({ protocol: response?.protocol, responseCode: response?.status ?? 0, responseFlags: this.callbacks.requestInfo.responseFlags.toString() || '-', responseHeaders: response?.headers });
    this.attemptSpan = undefined;
    this.attemptResponse = undefined;
  }

  /** Ends the request with a reply made here, counted as the upstream's answer. */
  private fail(reply: LocalReply): void {
    if (this.finished) return;
    this.finished = true;
    this.endAttemptSpan();
    this.clearTimers();
    this.upstream?.reset();
    this.retry?.state.release();
    this.countResponse(reply.status);
    this.callbacks.sendLocalReply({ ...reply, mutateHeaders: (h) => this.mutateLocalReply(h) });
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    this.endAttemptSpan();
    this.clearTimers();
    this.retry?.state.release();
  }

  /** The route timeout runs from the end of the request to the end of the response, over every attempt. */
  private armTimeout(): void {
    if (this.setup.options.timeoutMs <= 0 || this.timer || this.finished) return;
    this.timer = setTimeout(() => this.onTimeout(), this.setup.options.timeoutMs);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.finished) return;
    this.cluster.info.stats.upstream_rq_timeout.inc();
    if (this.host) this.host.stats.rq_timeout++;
    if (this.responseStarted) {
      this.abandon();
      this.callbacks.resetStream();
      return;
    }
    if (this.host && this.upstream) this.cluster.outlier.putResult(this.host, 'LocalOriginTimeout', 504);
    this.fail(LocalReplies.upstreamTimeout());
  }

  private setDownstreamReadDisabled(disabled: boolean): void {
    if (this.downstreamReadDisabled === disabled) return;
    this.downstreamReadDisabled = disabled;
    this.callbacks.readDisable(disabled);
  }

  /** The cluster's and the route's response header rules on an upstream answer. */
  private mutateResponse(headers: HeaderMap): void {
    for (const cookie of this.setup.setCookies) headers.add('set-cookie', cookie);
    this.mutateLocalReply(headers);
    const context = { ...this.setup.options.formatContext, responseHeaders: headers };
    for (const mutation of this.setup.route.responseMutations) mutation.apply(headers, context);
  }

  /** On a reply made here, the cluster's rules: the connection manager applies the route's to every local reply. */
  private mutateLocalReply(headers: HeaderMap): void {
    this.setup.clusterResponseMutation?.apply(headers, { ...this.setup.options.formatContext, responseHeaders: headers });
  }

  /** Envoy's router charges every upstream response code, local 503/504 included. */
  private countResponse(status: number): void {
    countUpstreamResponse(this.cluster, status);
  }

  private clearPerTryTimer(): void {
    clearTimeout(this.perTryTimer);
    this.perTryTimer = undefined;
  }

  private clearPerTryIdleTimer(): void {
    clearTimeout(this.perTryIdleTimer);
    this.perTryIdleTimer = undefined;
  }

  private clearTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.backoffTimer);
    this.clearPerTryTimer();
    this.clearPerTryIdleTimer();
    this.timer = undefined;
    this.backoffTimer = undefined;
  }
}

/** Envoy's details: the reset reason and, for a connect failure, the transport's reason, spaces as `_`. */
function upstreamFailureDetails(failure: UpstreamFailure): string {
  const transport = failure.kind === 'connect' && failure.detail ? `|${upstreamTransportFailureReason(failure.detail)}` : '';
  return `upstream_reset_before_response_started{${failure.resetReason}${transport}}`.replace(/\s/g, '_');
}
