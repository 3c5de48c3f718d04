import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performServerHandshake, type ServerHttp2Session, type Settings } from 'node:http2';
import type { Duplex } from 'node:stream';
import { HTTP2_SESSION_MEMORY_MB, type ConnectionDuplex } from '@nodevoy/http';
import type { CodecIssue, DownstreamStream } from './downstream-stream.js';
import { Http1RequestStream, Http1TakeoverStream, type Http1Options } from './http1-streams.js';
import { Http2DownstreamStream } from './http2-stream.js';

/**
 * A request that failed to parse (Envoy's codec error: 400; 426 for an HTTP version it does not
 * serve, 431 for headers too large, 501 for a transfer coding it does not implement). No status:
 * the client ended its side mid-request, and the connection just closes, as Envoy's does.
 */
export interface CodecError {
  readonly status: CodecIssue['status'] | undefined;
  readonly details: string;
}

export interface CodecHandlers {
  onStream(stream: DownstreamStream, duplex: ConnectionDuplex): void;
  onCodecError(error: CodecError, duplex: ConnectionDuplex): void;
}

export interface CodecOptions {
  readonly maxRequestHeadersBytes: number;
  readonly http1: Http1Options;
  readonly http2Settings: Settings;
}

/**
 * The HTTP/1.1 side of a connection manager: one node:http server (never listening itself)
 * that nodevoy connections are handed to as Duplex streams.
 */
export function createHttp1Codec(options: CodecOptions, handlers: CodecHandlers): Server {
  const server = createServer({
    maxHeaderSize: options.maxRequestHeadersBytes,
    requestTimeout: 0,
    headersTimeout: 0,
    keepAliveTimeout: 0,
    joinDuplicateHeaders: false,
    // The connection manager answers a missing Host itself, as Envoy does.
    requireHostHeader: false,
  });
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // A write after the connection went away must not become an unhandled 'error'.
    res.on('error', () => {});
    handlers.onStream(new Http1RequestStream(req, res, options.http1), req.socket as unknown as ConnectionDuplex);
  };
  // One more than the limit, so a request over it is seen (and answered 431), not cut short.
  server.maxHeadersCount = options.http1.maxHeadersCount + 1;
  server.on('request', onRequest);
  // Expect is the connection manager's business (100-continue answered or proxied, as Envoy;
  // any other expectation forwarded), not node:http's automatic 100 or 417.
  server.on('checkContinue', onRequest);
  server.on('checkExpectation', onRequest);
  server.on('connect', (req, socket: Duplex, head: Buffer) => handlers.onStream(new Http1TakeoverStream(req, socket, head, 'connect', options.http1), socket as ConnectionDuplex));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The connection manager decides whether the route allows the upgrade (403 if not).
    const h2c = req.headers.upgrade?.trim().toLowerCase() === 'h2c';
    if (h2c && req.headers['transfer-encoding'] !== undefined) {
      handlers.onCodecError({ status: 400, details: 'codec_error:h2c_upgrade_with_chunked_body' }, socket as ConnectionDuplex);
      return;
    }
    handlers.onStream(new Http1TakeoverStream(req, socket, head, h2c ? 'h2c' : 'upgrade', options.http1), socket as ConnectionDuplex);
  });
  server.on('clientError', (error: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    handlers.onCodecError(codecErrorFor(error.code, error.reason), socket as ConnectionDuplex);
  });
  return server;
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

/** Serves HTTP/2 (prior knowledge) on one connection. */
export function serveHttp2(duplex: ConnectionDuplex, options: CodecOptions, handlers: CodecHandlers): ServerHttp2Session {
  const session = performServerHandshake(duplex, {
    settings: options.http2Settings,
    maxSendHeaderBlockLength: options.maxRequestHeadersBytes,
    maxSessionMemory: HTTP2_SESSION_MEMORY_MB,
  });
  session.on('error', () => {});
  session.on('stream', (stream, headers, flags) => {
    const endStream = (flags & 0x1) !== 0;
    handlers.onStream(new Http2DownstreamStream(stream, headers, endStream), duplex);
  });
  return session;
}

/** The HTTP/2 connection preface a prior-knowledge client sends first. */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * AUTO codec: decides from the first bytes, as Envoy does. Returns undefined while the bytes
 * seen so far are still a prefix of the HTTP/2 preface.
 */
export function sniffCodec(firstBytes: Buffer): 'http1' | 'http2' | undefined {
  const n = Math.min(firstBytes.length, HTTP2_PREFACE.length);
  if (!firstBytes.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) return 'http1';
  return n === HTTP2_PREFACE.length ? 'http2' : undefined;
}
