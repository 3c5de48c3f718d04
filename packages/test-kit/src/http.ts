import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request, type Agent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as http2Connect, type ClientHttp2Session, type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { TestLike } from './test-like.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body as it came, for bodies that are not text (compressed, binary). */
  readonly bodyBytes: Buffer;
  readonly trailers: NodeJS.Dict<string>;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  /** A keep-alive agent to share connections between requests; default: a new connection. */
  readonly agent?: Agent;
}

/** One HTTP/1.1 request with node:http; resolves with the whole response. */
export async function httpRequest(port: number, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const req = request({
    host: '127.0.0.1',
    port,
    method: options.method ?? 'GET',
    path: options.path ?? '/',
    headers: options.headers,
    agent: options.agent ?? false,
  });
  req.end(options.body);
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const bodyBytes = Buffer.concat(chunks);
  return { status: response.statusCode ?? 0, headers: response.headers, body: bodyBytes.toString(), bodyBytes, trailers: response.trailers };
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body as bytes (`body` is its UTF-8 reading). */
  readonly bodyBytes: Buffer;
  /** The client port of the connection the request came on: equal ports, one connection. */
  readonly remotePort: number;
}

export interface HttpUpstream {
  readonly port: number;
  readonly server: Server;
  /** Every request received so far, in order. */
  readonly requests: SeenRequest[];
}

export type UpstreamHandler = (request: SeenRequest, response: ServerResponse) => void;

/** Answers `200 <name> <method> <url>`, so a test sees which upstream served the request. */
export const namedReply =
  (name: string): UpstreamHandler =>
  (request, response) => {
    response.setHeader('content-type', 'text/plain');
    response.end(`${name} ${request.method} ${request.url}${request.body ? ` ${request.body}` : ''}`);
  };

/** An HTTP/1.1 server on 127.0.0.1:0 that records what it receives. */
export async function startHttpUpstream(t: TestLike, handler: UpstreamHandler = namedReply('upstream')): Promise<HttpUpstream> {
  const requests: SeenRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return; // the proxy abandoned the request (its client went away): nothing to answer
    }
    const bodyBytes = Buffer.concat(chunks);
    const seen = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: bodyBytes.toString(),
      bodyBytes,
      remotePort: req.socket.remotePort ?? 0,
    };
    requests.push(seen);
    handler(seen, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, server, requests };
}

/** An HTTP/2 (prior knowledge) session to 127.0.0.1:port, closed at teardown. */
export async function http2Session(t: TestLike, port: number): Promise<ClientHttp2Session> {
  const session = http2Connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  t.teardown(() => session.destroy());
  await once(session, 'connect');
  return session;
}

export interface Http2Response {
  readonly headers: Http2Headers;
  readonly body: string;
}

/** One HTTP/2 request on a session; resolves with the response headers and body. */
export async function http2Request(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<Http2Response> {
  const stream = session.request(headers, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  const [responseHeaders] = (await once(stream, 'response')) as [Http2Headers];
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { headers: responseHeaders, body: Buffer.concat(chunks).toString() };
}

export interface CurlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real curl (a peer users actually point at a proxy). */
export async function curl(args: readonly string[], input?: string): Promise<CurlResult> {
  const child = spawn('curl', ['--silent', '--show-error', '--max-time', '20', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdin.end(input);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

export interface RawResponse {
  /** The status line and headers, as sent. */
  readonly head: string;
  readonly body: string;
}

/**
 * Reads `count` HTTP/1.1 responses (content-length framed) off a raw byte stream: a TCP
 * socket kept alive by hand, or a CONNECT tunnel.
 */
export function readHttp1Responses(stream: Readable, count: number): Promise<RawResponse[]> {
  let buffered = '';
  const responses: RawResponse[] = [];
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const headEnd = buffered.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(buffered.slice(0, headEnd));
        if (headEnd < 0 || !length) break;
        const end = headEnd + 4 + Number(length[1]);
        if (buffered.length < end) break;
        responses.push({ head: buffered.slice(0, headEnd), body: buffered.slice(headEnd + 4, end) });
        buffered = buffered.slice(end);
      }
      if (responses.length < count) return;
      stream.off('data', onData);
      resolve(responses);
    };
    stream.on('data', onData);
    stream.once('close', () => reject(new Error(`stream closed after ${responses.length} of ${count} responses`)));
  });
}
