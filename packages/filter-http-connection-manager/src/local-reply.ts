import type { HopFailure } from '@nodevoy/core';
import { HeaderMap, httpToGrpcStatus, percentEncode } from '@nodevoy/http';
import type { LocalReply } from './http-filter.js';

const STATUS_TEXT = { 400: 'Bad Request', 426: 'Upgrade Required', 431: 'Request Header Fields Too Large', 501: 'Not Implemented' } as const;

/** Envoy's local reply bodies, for the replies nodevoy generates itself. */
export const LocalReplies = {
  noRoute: (): LocalReply => ({ status: 404, details: 'route_not_found' }),
  upgradeNotAllowed: (): LocalReply => ({ status: 403, details: 'upgrade_failed' }),
  http10NotAllowed: (): LocalReply => ({ status: 426, body: 'Upgrade Required', details: 'low_version' }),
  missingHost: (): LocalReply => ({ status: 400, details: 'missing_host_header' }),
  clusterNotFound: (status: number): LocalReply => ({ status, details: 'cluster_not_found' }),
  noHealthyUpstream: (): LocalReply => ({ status: 503, body: 'no healthy upstream', details: 'no_healthy_upstream' }),
  /** `retried`: the request had attempts before this one (Envoy then says "the latest"). */
  upstreamFailure: (resetReason: string, details: string, retried = false): LocalReply => ({
    status: 503,
    body: `upstream connect error or disconnect/reset before headers. ${retried ? 'retried and the latest ' : ''}reset reason: ${resetReason}`,
    details,
  }),
  /**
   * nodevoy's own: an internal hop's inner side said why it gave up (a tunnel refused with 403,
   * a connect failure or timeout), so the client gets that status and body, not a generic 503.
   */
  innerHopFailure: (failure: HopFailure): LocalReply => ({
    status: failure.status,
    body: failure.body,
    headers: [...failure.headers, ['x-nodevoy-hop-failure', failure.reason]],
    details: `inner_hop_failure{${failure.reason}}`,
  }),
  pathNormalizationFailed: (): LocalReply => ({ status: 400, body: 'Bad Request', details: 'path_normalization_failed' }),
  underscoreInHeaders: (): LocalReply => ({ status: 400, body: 'Bad Request', details: 'unexpected_underscore' }),
  streamIdleTimeout: (): LocalReply => ({ status: 408, body: 'stream timeout', details: 'stream_idle_timeout' }),
  requestTimeout: (): LocalReply => ({ status: 408, body: 'request timeout', details: 'request_overall_timeout' }),
  /** `max_stream_duration`: Envoy answers 504 here (not 408). */
  maxDurationTimeout: (): LocalReply => ({ status: 504, body: 'downstream duration timeout', details: 'max_duration_timeout' }),
  perTryIdleTimeout: (): LocalReply => ({ status: 504, body: 'upstream request timeout', details: 'upstream_per_try_idle_timeout' }),
  upstreamTimeout: (): LocalReply => ({ status: 504, body: 'upstream request timeout', details: 'upstream_response_timeout' }),
  perTryTimeout: (): LocalReply => ({ status: 504, body: 'upstream request timeout', details: 'upstream_per_try_timeout' }),
  retryBufferExceeded: (): LocalReply => ({ status: 507, body: 'exceeded request buffer limit while retrying upstream', details: 'request_payload_exceeded_retry_buffer_limit' }),
  /** nodevoy's own: an HTTP filter threw (Envoy's C++ filters cannot). */
  filterError: (): LocalReply => ({ status: 500, body: 'filter error', details: 'filter_error' }),
  codecError: (status: 400 | 426 | 431 | 501, details: string): LocalReply => ({ status, body: STATUS_TEXT[status], details }),
} as const;

/** Envoy's response flags for a response's details, as access logs print them. */
const RESPONSE_FLAGS: readonly (readonly [prefix: string, flag: string])[] = [
  ['route_not_found', 'NR'],
  ['cluster_not_found', 'NC'],
  ['no_healthy_upstream', 'UH'],
  ['upstream_reset_before_response_started{overflow', 'UO'],
  ['upstream_reset_before_response_started{connection_failure', 'UF'],
  ['upstream_reset_before_response_started{remote_connection_failure', 'UF'],
  ['upstream_reset_before_response_started{local_connection_failure', 'UF'],
  ['upstream_reset_before_response_started{connection_timeout', 'UF'],
  ['upstream_reset_before_response_started{connection_termination', 'UC'],
  ['upstream_reset_before_response_started{protocol_error', 'UPE'],
  ['upstream_reset', 'UR'],
  ['inner_hop_failure', 'UF'],
  ['upstream_response_timeout', 'UT'],
  ['upstream_per_try_timeout', 'UT'],
  ['upstream_per_try_idle_timeout', 'UT'],
  ['stream_idle_timeout', 'SI'],
  ['downstream_remote_disconnect', 'DC'],
  ['local_rate_limited', 'RL'],
];

export function responseFlagsFor(details: string): string {
  return RESPONSE_FLAGS.find(([prefix]) => details.startsWith(prefix))?.[1] ?? '';
}

/** The response headers of a local reply, as Envoy writes them. */
/**
 * Envoy's local reply to a gRPC request: trailers-only, `200` with `content-type:
 * application/grpc`, the reply's `grpc-status` or the one its HTTP status stands for (unless one is set already)
 * and the body as a percent-encoded `grpc-message`.
 */
export function grpcLocalReplyHeaders(headers: HeaderMap, reply: LocalReply, body: Buffer): HeaderMap {
  headers.set(':status', '200');
  headers.set('content-type', 'application/grpc');
  if (!headers.has('grpc-status')) headers.set('grpc-status', String(reply.grpcStatus ?? httpToGrpcStatus(reply.status)));
  if (body.length > 0) headers.set('grpc-message', percentEncode(body));
  headers.remove('content-length');
  return headers;
}

export function localReplyHeaders(reply: LocalReply): HeaderMap {
  const headers = new HeaderMap();
  headers.add(':status', String(reply.status));
  for (const [name, value] of reply.headers ?? []) headers.add(name, value);
  const body = reply.body ?? '';
  headers.set('content-length', String(Buffer.byteLength(body)));
  if (body.length > 0 && !headers.has('content-type')) headers.set('content-type', 'text/plain');
  return headers;
}
