import { createRequire } from 'node:module';

/**
 * llhttp, the HTTP/1.x parser node:http and undici parse with, through the binding node:http
 * itself uses (`_http_common`): nodevoy's codec parses exactly as Node does, without node:http's
 * request and response objects and streams around it.
 */
export interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Bytes parsed, or the parse error (with llhttp's `code` and `reason`). */
  execute(data: Buffer): number | LlhttpError;
  /** The input ended: an error if a message was cut short. */
  finish(): undefined | LlhttpError;
  close(): void;
  [callback: number]: unknown;
}

export interface LlhttpError extends Error {
  readonly code: string;
  readonly reason: string;
  readonly bytesParsed: number;
}

interface LlhttpParserClass {
  new (): LlhttpParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
  readonly kLenientChunkedLength: number;
}

export const HTTPParser = (createRequire(import.meta.url)('_http_common') as { HTTPParser: LlhttpParserClass }).HTTPParser;

/** llhttp's method numbers (`llhttp_method_t`, a stable part of its API), as names. */
export const LLHTTP_METHODS: readonly string[] = [
  'DELETE', 'GET', 'HEAD', 'POST', 'PUT', 'CONNECT', 'OPTIONS', 'TRACE', 'COPY', 'LOCK', 'MKCOL', 'MOVE',
  'PROPFIND', 'PROPPATCH', 'SEARCH', 'UNLOCK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'REPORT', 'MKACTIVITY',
  'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PATCH', 'PURGE', 'MKCALENDAR',
  'LINK', 'UNLINK', 'SOURCE', 'PRI', 'DESCRIBE', 'ANNOUNCE', 'SETUP', 'PLAY', 'PAUSE', 'TEARDOWN',
  'GET_PARAMETER', 'SET_PARAMETER', 'REDIRECT', 'RECORD', 'FLUSH', 'QUERY',
];

/** What llhttp reports when a message's headers are complete. */
export type HeadersCompleteCallback = (
  versionMajor: number,
  versionMinor: number,
  /** Flat name/value pairs; undefined when they came earlier through `kOnHeaders`. */
  rawHeaders: string[] | undefined,
  method: number | undefined,
  url: string | undefined,
  statusCode: number | undefined,
  statusMessage: string | undefined,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number | void;
