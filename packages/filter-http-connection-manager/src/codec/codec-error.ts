import type { CodecIssue } from './downstream-stream.js';

/**
 * A request that failed to parse (Envoy's codec error: 400; 426 for an HTTP version it does not
 * serve, 431 for headers too large, 501 for a transfer coding it does not implement). No status:
 * the client ended its side mid-request, and the connection just closes, as Envoy's does.
 */
export interface CodecError {
  readonly status: CodecIssue['status'] | undefined;
  readonly details: string;
}

/** Envoy's answers to unparseable requests, as its HTTP/1.1 codec gives them. */
export function codecErrorFor(code: string | undefined, reason?: string): CodecError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, details: 'header_overflow' };
    case 'HPE_INVALID_VERSION':
      // A well-formed version that is not 1.x (`HTTP/1.2`, `HTTP/3.0`) is unsupported (426);
      // `HTTP/1.10`, `HTTP/9`, `HTTP/ 1.1` are malformed (400). llhttp's reason tells them apart
      // (the bytes of the request line may have come in an earlier read).
      return reason === 'Invalid HTTP version'
        ? { status: 426, details: 'codec_error:invalid_version' }
        : { status: 400, details: 'codec_error:invalid_version' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
      // Chunked with a Content-Length is a framing conflict (400, the smuggling case); any
      // other coding is one nodevoy does not implement (501), as in Envoy.
      return reason?.includes('Content-Length')
        ? { status: 400, details: 'codec_error:content_length_and_chunked' }
        : { status: 501, details: 'codec_error:unsupported_transfer_encoding' };
    case 'HPE_INVALID_EOF_STATE':
      return { status: undefined, details: 'codec_error:premature_eof' };
    default:
      return { status: 400, details: `codec_error:${code ?? 'unknown'}` };
  }
}
