import { performServerHandshake, type ServerHttp2Session, type Settings } from 'node:http2';
import { HTTP2_SESSION_MEMORY_MB, type ConnectionDuplex } from '@nodevoy/http';
import type { DownstreamStream } from './downstream-stream.js';
import type { Http1Options } from './http1-streams.js';
import { Http2DownstreamStream } from './http2-stream.js';

export interface CodecOptions {
  readonly maxRequestHeadersBytes: number;
  readonly http1: Http1Options;
  readonly http2Settings: Settings;
}

/** Serves HTTP/2 (prior knowledge) on one connection. */
export function serveHttp2(duplex: ConnectionDuplex, options: CodecOptions, onStream: (stream: DownstreamStream) => void): ServerHttp2Session {
  const session = performServerHandshake(duplex, {
    settings: options.http2Settings,
    maxSendHeaderBlockLength: options.maxRequestHeadersBytes,
    maxSessionMemory: HTTP2_SESSION_MEMORY_MB,
  });
  session.on('error', () => {});
  session.on('stream', (stream, headers, flags) => {
    const endStream = (flags & 0x1) !== 0;
    onStream(new Http2DownstreamStream(stream, headers, endStream));
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
