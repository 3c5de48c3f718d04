import { UNSAFE_HEADER_VALUE } from '../../chunked-body.js';
import { upgradeRequested } from '../../headers.js';
import type { RequestHead } from '../types.js';

/** Methods whose requests have no body: a headers-only one is sent without framing, as Envoy's codec does. */
const BODILESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'TRACE', 'CONNECT']);

export interface SerializedRequestHead {
  readonly bytes: Buffer;
  /** The body goes in chunks (it has no length). */
  readonly chunked: boolean;
}

/**
 * An HTTP/1.1 request head as Envoy's codec writes it: Host first; a headers-only request of a
 * method that may carry a body says `content-length: 0`; a body without a length goes chunked
 * whatever the method (unframed, a GET's body would be read upstream as the next request on
 * the connection); a tunnel (CONNECT, an upgrade) has no framing. Keep-alive is the pool's
 * business: no `connection` header unless the request carries one (an upgrade's).
 */
export function serializeRequestHead(head: RequestHead, headersOnly: boolean): SerializedRequestHead {
  const isConnect = head.method === 'CONNECT';
  let text = `${head.method} ${isConnect ? head.authority : head.path} HTTP/1.1\r\nhost: ${head.authority}\r\n`;
  let sawLength = false;
  for (const [name, value] of head.headers) {
    // The codec frames the body itself: a transfer coding the request came with is not ours to repeat.
    if (name === 'host' || name === 'transfer-encoding' || name.charCodeAt(0) === 58 /* ':' */ || UNSAFE_HEADER_VALUE.test(value)) continue;
    if (name === 'content-length') sawLength = true;
    text += `${name}: ${value}\r\n`;
  }
  let chunked = false;
  if (!sawLength) {
    if (headersOnly) {
      if (!BODILESS_METHODS.has(head.method)) text += 'content-length: 0\r\n';
    } else if (!isConnect && upgradeRequested(head.headers) === undefined) {
      text += 'transfer-encoding: chunked\r\n';
      chunked = true;
    }
  }
  return { bytes: Buffer.from(`${text}\r\n`, 'latin1'), chunked };
}
