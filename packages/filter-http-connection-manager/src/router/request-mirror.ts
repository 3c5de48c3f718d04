import { sampled, type Host, type LoadBalancerContext, type Runtime, type UpstreamCluster, type UpstreamRequester, type WorkerContext } from '@nodevoy/core';
import type { HeaderMap, HttpPools, RequestHead, UpstreamRequest } from '@nodevoy/http';
import type { RequestMirrorPolicyConfig } from '../config/mirror-policy.js';

/** What mirroring needs of the request and the server. */
export interface MirrorContext {
  readonly headers: HeaderMap;
  readonly runtime: Runtime;
  readonly pools: HttpPools;
  readonly worker: WorkerContext;
  readonly requester: UpstreamRequester;
  readonly loadBalancerContext: LoadBalancerContext;
  getCluster(name: string): UpstreamCluster | undefined;
  /** The request as it would go to `host` (route rewrites and header rules applied). */
  headFor(host: Host): RequestHead;
  /** The route timeout (0: none): a shadow gets no more. */
  readonly timeoutMs: number;
  /** The request has no body. */
  readonly headersOnly: boolean;
  /** What a shadow may hold of the body while its upstream is not taking it (the connection's buffer limit). */
  readonly bufferLimitBytes: number;
  /** Counts an answer (or a failure's local 503) in the cluster's `upstream_rq_<code>` stats, as the router does. */
  countResponse(cluster: UpstreamCluster, status: number): void;
}

interface Shadow {
  readonly cluster: UpstreamCluster;
  /** Body bytes written since the upstream last said it was writable. */
  backedUp: number;
}

/** Envoy's shadow authority: `-shadow` after the host, before any port (`api.test-shadow:8080`). */
export function shadowAuthority(authority: string): string {
  const colon = authority.lastIndexOf(':');
  const hasPort = colon > authority.lastIndexOf(']') && colon >= 0;
  return hasPort ? `${authority.slice(0, colon)}-shadow${authority.slice(colon)}` : `${authority}-shadow`;
}

/**
 * A route's `request_mirror_policies` for one request: a copy (a shadow) to each policy's
 * cluster, sampled by its `runtime_fraction`, body streamed along, answer counted and ignored.
 * The copy is marked internal and carries `x-forwarded-for: 192.0.2.2` appended, as Envoy's
 * shadows do (they are sent through its async client). The request itself is never held back by
 * a shadow: one whose upstream falls more than the buffer limit behind is dropped
 * (`retry_or_shadow_abandoned`), as is one that runs past the route timeout.
 */
export class RequestMirror {
  /** Each shadow in flight. */
  private readonly shadows = new Map<UpstreamRequest, Shadow>();
  private requestEnded: boolean;

  private constructor(private readonly context: MirrorContext) {
    this.requestEnded = context.headersOnly;
  }

  static start(policies: readonly RequestMirrorPolicyConfig[] | undefined, context: MirrorContext): RequestMirror | undefined {
    if (!policies || policies.length === 0) return undefined;
    const mirror = new RequestMirror(context);
    for (const policy of policies) mirror.shadow(policy, context);
    return mirror.shadows.size > 0 ? mirror : undefined;
  }

  sendData(data: Buffer, endStream: boolean): void {
    if (endStream) this.requestEnded = true;
    for (const [request, shadow] of this.shadows) {
      if (request.sendData(data, endStream)) continue;
      // Held for it while its upstream is slow, up to the buffer limit; past that it is dropped.
      shadow.backedUp += data.length;
      if (shadow.backedUp <= this.context.bufferLimitBytes) continue;
      this.shadows.delete(request);
      request.reset();
      shadow.cluster.info.stats.retry_or_shadow_abandoned.inc();
    }
  }

  /** The request went away: a shadow that has not had the whole body is reset; the others finish. */
  abandon(): void {
    if (this.requestEnded) return;
    for (const shadow of this.shadows.keys()) shadow.reset();
    this.shadows.clear();
  }

  private shadow(policy: RequestMirrorPolicyConfig, context: MirrorContext): void {
    if (policy.runtime_fraction && !sampled(context.runtime, policy.runtime_fraction.runtime_key, policy.runtime_fraction.default_value)) return;
    const name = policy.cluster ?? context.headers.get((policy.cluster_header ?? '').toLowerCase());
    const cluster = name ? context.getCluster(name) : undefined;
    const host = cluster?.chooseHost(context.loadBalancerContext);
    if (!cluster || !host) return;
    const base = context.headFor(host);
    const headers = base.headers.clone();
    headers.set('x-envoy-internal', 'true');
    headers.set('x-forwarded-for', [headers.get('x-forwarded-for'), '192.0.2.2'].filter(Boolean).join(', '));
    const head: RequestHead = { ...base, headers, authority: policy.disable_shadow_host_suffix_append ? base.authority : shadowAuthority(base.authority) };
    let timer: NodeJS.Timeout | undefined;
    const shadow: Shadow = { cluster, backedUp: 0 };
    const done = () => {
      clearTimeout(timer);
      this.shadows.delete(request);
    };
    const request = context.pools.request(cluster, host, context.worker, head, context.headersOnly, context.requester, {
      onAssigned() {},
      onResponseHeaders: (response, end) => {
        context.countResponse(cluster, response.status);
        if (end) done();
      },
      onResponseData: (_data, end) => end && done(),
      onResponseTrailers: done,
      onFailure: () => {
        context.countResponse(cluster, 503);
        done();
      },
      onWritable: () => {
        shadow.backedUp = 0;
      },
    });
    this.shadows.set(request, shadow);
    if (context.timeoutMs > 0) {
      timer = setTimeout(() => {
        done();
        request.reset();
      }, context.timeoutMs);
      timer.unref();
    }
  }
}
