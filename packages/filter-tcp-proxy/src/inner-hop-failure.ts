import type { HopFailure, PoolFailureReason } from '@nodevoy/core';
import type { TunnelFailure } from './tunnel-upstream.js';

/** Response headers of a refused tunnel that must not be passed on to an HTTP client. */
const NOT_PASSED_ON = new Set(['connection', 'content-length', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** A TCP upstream that could not be reached: 504 on a connect timeout, 502 otherwise. */
export function poolHopFailure(reason: PoolFailureReason, detail: string): HopFailure {
  return reason === 'Timeout' ? connectTimeout(detail) : connectFailure(detail);
}

/**
 * A tunnel that did not open: the upstream proxy's own status and body (its headers too, with
 * `propagate_response_headers`), or 502/504 when its connection failed.
 */
export function tunnelHopFailure(failure: TunnelFailure, propagateHeaders: boolean): HopFailure {
  const { status, response } = failure;
  if (status === undefined || !response) {
    return failure.resetReason === 'connection timeout' ? connectTimeout(failure.detail) : connectFailure(failure.detail);
  }
  // A 200 that ended at once (HTTP/2) opened nothing: a bad gateway, as far as the client knows.
  const refused = status >= 300 ? status : 502;
  const headers = propagateHeaders ? [...response.headers].filter(([name]) => !NOT_PASSED_ON.has(name)) : [];
  return { status: refused, reason: `tunnel_response_${status}`, headers, body: failure.body.toString() };
}

function connectFailure(detail: string): HopFailure {
  return { status: 502, reason: 'connect_failure', headers: [], body: `upstream connect error: ${detail}` };
}

function connectTimeout(detail: string): HopFailure {
  return { status: 504, reason: 'connect_timeout', headers: [], body: `upstream connect error: ${detail}` };
}
