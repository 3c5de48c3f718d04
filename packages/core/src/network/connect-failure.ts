import { getSystemErrorMap } from 'node:util';

const MESSAGES = new Map([...getSystemErrorMap().values()].map(([name, message]) => [name, message]));

/**
 * Envoy's words for a failed upstream connect (`%UPSTREAM_TRANSPORT_FAILURE_REASON%`):
 * `delayed connect error: Connection refused` for a pool detail `connection_failure: ECONNREFUSED`;
 * a TLS transport's own reason (`TLS_error:|...:TLS_error_end`) as it gave it. Other details are
 * kept as they are.
 */
export function upstreamTransportFailureReason(detail: string): string {
  const tls = /^connection_failure: (TLS_error:.*)$/.exec(detail)?.[1];
  if (tls !== undefined) return tls;
  const code = /^connection_failure: (E[A-Z0-9]+)$/.exec(detail)?.[1];
  const message = code === undefined ? undefined : MESSAGES.get(code);
  if (message === undefined) return detail;
  return `delayed connect error: ${message.charAt(0).toUpperCase()}${message.slice(1)}`;
}
