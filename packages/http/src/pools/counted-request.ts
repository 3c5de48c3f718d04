import { PoolRequestStats, type Host, type UpstreamCluster } from '@nodevoy/core';
import type { UpstreamRequest, UpstreamRequestCallbacks } from './types.js';

/**
 * Wraps a pooled request's callbacks with Envoy's pool request stats (`upstream_rq_pending_*`,
 * `upstream_rq_total`, `upstream_rq_active`, `upstream_rq_cancelled`, per-host counters), so
 * every user of the HTTP pools (router, tcp_proxy tunnels) is counted the same way.
 */
export function countedRequest(
  cluster: UpstreamCluster,
  host: Host,
  callbacks: UpstreamRequestCallbacks,
  start: (counted: UpstreamRequestCallbacks) => UpstreamRequest,
): UpstreamRequest {
  if (!PoolRequestStats.admit(cluster.info)) return overflowed(callbacks);
  const stats = new PoolRequestStats(cluster.info, host);
  stats.pending();
  const request = start({
    onAssigned(codec) {
      stats.assigned();
      callbacks.onAssigned(codec);
    },
    onContinue: () => callbacks.onContinue?.(),
    onResponseHeaders(head, endStream) {
      if (endStream) stats.finished('success');
      callbacks.onResponseHeaders(head, endStream);
    },
    onResponseData(data, endStream) {
      if (endStream) stats.finished('success');
      callbacks.onResponseData(data, endStream);
    },
    onResponseTrailers(trailers) {
      stats.finished('success');
      callbacks.onResponseTrailers(trailers);
    },
    onFailure(failure) {
      stats.failedPending(failure.kind === 'overflow' ? 'overflow' : 'failure');
      stats.finished('error');
      callbacks.onFailure(failure);
    },
    onWritable: () => callbacks.onWritable(),
  });
  return {
    sendData: (data, endStream) => request.sendData(data, endStream),
    readDisable: (disable) => request.readDisable(disable),
    reset() {
      stats.cancelled();
      request.reset();
    },
  };
}

/** A request a circuit breaker refused: it fails at once (never synchronously), reset reason overflow. */
function overflowed(callbacks: UpstreamRequestCallbacks): UpstreamRequest {
  let reset = false;
  queueMicrotask(() => {
    if (!reset) callbacks.onFailure({ kind: 'overflow', resetReason: 'overflow', detail: 'circuit breaker open' });
  });
  return {
    sendData: () => true,
    readDisable() {},
    reset() {
      reset = true;
    },
  };
}
