import { UNSAFE_HEADER_VALUE, reasonPhrase, type HeaderMap } from '@nodevoy/http';

/** How the body after a response head is framed on the wire. */
export type BodyFraming = 'none' | 'chunked' | 'raw';

export interface ResponseHead {
  readonly bytes: Buffer;
  readonly framing: BodyFraming;
  /** The body runs to the connection's close (HTTP/1.0 without a length): nothing may follow it. */
  readonly closeDelimited: boolean;
}

/** What the codec knows of the request a response answers. */
export interface AnsweredRequest {
  readonly isHead: boolean;
  readonly isHttp10: boolean;
}

/**
 * An HTTP/1.1 response head with Envoy's framing rules (`StreamEncoderImpl::encodeHeadersBase`):
 * a length the response carries wins; 1xx, 204 and 304 have no body; a headers-only response
 * gets `content-length: 0` (none to HEAD); HTTP/1.0 bodies run to the close; anything else is
 * chunked (a HEAD response says so without a body). Framing headers a filter left are the
 * codec's to decide, as the upstream codec consumed the upstream's.
 */
export function responseHead(headers: HeaderMap, endStream: boolean, request: AnsweredRequest, closeConnection: boolean): ResponseHead {
  const status = Number(headers.get(':status') ?? 200);
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  // RFC 9110 §8.6: a 1xx or 204 carries no Content-Length (Envoy's codec drops one).
  const lengthAllowed = status >= 200 && status !== 204;
  let sawContentLength = false;
  let sawConnection = false;
  for (const [name, value] of headers) {
    if (name.charCodeAt(0) === 58 /* ':' */ || name === 'transfer-encoding' || UNSAFE_HEADER_VALUE.test(value)) continue;
    if (name === 'content-length') {
      if (!lengthAllowed) continue;
      sawContentLength = true;
    } else if (name === 'connection') {
      if (closeConnection) continue;
      sawConnection = true;
    }
    head += `${name}: ${value}\r\n`;
  }
  if (closeConnection && !sawConnection) head += 'connection: close\r\n';
  let framing: BodyFraming = request.isHead ? 'none' : 'raw';
  let closeDelimited = false;
  if (!lengthAllowed || status === 304) {
    // No body, whatever a length says (a 304's describes the resource).
    framing = 'none';
  } else if (sawContentLength) {
    // The length the response carries frames it.
  } else if (endStream && !request.isHead) {
    head += 'content-length: 0\r\n';
    framing = 'none';
  } else if (request.isHttp10) {
    closeDelimited = !request.isHead;
  } else {
    head += 'transfer-encoding: chunked\r\n';
    if (!request.isHead) framing = 'chunked';
  }
  return { bytes: Buffer.from(`${head}\r\n`, 'latin1'), framing, closeDelimited };
}

/** The interim answer to `Expect: 100-continue`. */
export const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n');
