import { HeaderMap } from '@nodevoy/http';
import type { LocalReply } from './http-filter.js';

/** Envoy's local reply bodies, for the replies nodevoy generates itself. */
export const LocalReplies = {
  noRoute: (): LocalReply => ({ status: 404, details: 'route_not_found' }),
  upgradeNotAllowed: (): LocalReply => ({ status: 403, details: 'upgrade_failed' }),
  http10NotAllowed: (): LocalReply => ({ status: 426, body: 'Upgrade Required', details: 'low_version' }),
  missingHost: (): LocalReply => ({ status: 400, body: 'missing host header', details: 'missing_host_header' }),
  clusterNotFound: (status: number): LocalReply => ({ status, details: 'cluster_not_found' }),
  noHealthyUpstream: (): LocalReply => ({ status: 503, body: 'no healthy upstream', details: 'no_healthy_upstream' }),
  upstreamFailure: (resetReason: string, details: string): LocalReply => ({
    status: 503,
    body: `upstream connect error or disconnect/reset before headers. reset reason: ${resetReason}`,
    details,
  }),
  upstreamTimeout: (): LocalReply => ({ status: 504, body: 'upstream request timeout', details: 'upstream_response_timeout' }),
  codecError: (status: 400 | 431): LocalReply => ({
    status,
    body: status === 431 ? 'Request Header Fields Too Large' : 'Bad Request',
    details: status === 431 ? 'header_overflow' : 'codec_error',
  }),
} as const;

/** The response headers of a local reply, as Envoy writes them. */
export function localReplyHeaders(reply: LocalReply): HeaderMap {
  const headers = new HeaderMap();
  headers.add(':status', String(reply.status));
  for (const [name, value] of reply.headers ?? []) headers.add(name, value);
  const body = reply.body ?? '';
  headers.set('content-length', String(Buffer.byteLength(body)));
  if (body.length > 0 && !headers.has('content-type')) headers.set('content-type', 'text/plain');
  return headers;
}
