import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { decodedBody, maskedHeaders } from './http-responses.js';
import { serveGrpcAuthz } from './grpc-authz-upstream.js';
import { serveGrpcEcho } from './grpc-echo-upstream.js';
import type { UpstreamBehaviour } from './scenario.js';
import { closedPort, startHungServer } from '@nodevoy/test-kit';
import { StreamRecord } from './stream-record.js';
import { pattern } from './traffic.js';
import { startZipkinCollector } from './zipkin-collector.js';

/** What a `flood` upstream sends. */
export const FLOOD_BYTES = 8 * 1024 * 1024;

/** A running upstream: its port and what each accepted connection received. */
export interface Upstream {
  readonly port: number;
  readonly connections: StreamRecord[];
  /** What a `zipkin-collector` received. */
  readonly spans?: readonly object[];
  close(): void;
}

/**
 * `http-mirror`: answers every request with what it saw, so the client's answer shows it (a
 * compressed body decoded). A request may shape the answer: `x-reply-status`, `x-reply-body`
 * or `x-reply-zeros: <n>` instead of the mirror, `x-reply-encode: gzip` to gzip it, and any
 * other `x-reply-<name>` as the response header `<name>`.
 */
const mirror = createHttpServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const received = Buffer.concat(chunks).toString('latin1');
    const seen = { method: request.method, url: request.url, headers: maskedHeaders(request.headers), body: decodedBody(request.headers['content-encoding'], received) };
    const shaped = Object.entries(request.headers).flatMap(([name, value]) => (name.startsWith('x-reply-') && typeof value === 'string' ? [[name.slice('x-reply-'.length), value] as const] : []));
    const reply = new Map<string, string>([['content-type', 'application/json'], ['x-mirror', 'yes'], ...shaped]);
    const zeros = reply.get('zeros');
    const text = reply.get('body') ?? `${JSON.stringify(seen, null, 1)}\n`;
    const plain = zeros === undefined ? Buffer.from(text) : Buffer.alloc(Number(zeros));
    const body = reply.get('encode') === 'gzip' ? gzipSync(plain) : plain;
    const status = Number(reply.get('status') ?? 200);
    for (const control of ['body', 'status', 'zeros', 'encode']) reply.delete(control);
    response.writeHead(status, { ...Object.fromEntries(reply), 'content-length': body.length });
    response.end(body);
  });
});

const behaviours: Record<Exclude<UpstreamBehaviour, 'refuse' | 'hang' | 'tls-echo' | 'tls-http' | 'tls-http1' | 'zipkin-collector'>, (socket: Socket, record: StreamRecord) => void> = {
  'http-mirror': (socket) => mirror.emit('connection', socket),
  echo: (socket) => socket.pipe(socket),
  'refuse-connect-403': (socket) =>
    socket.once('data', () => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 26\r\nx-proxy-policy: blocked\r\n\r\nblocked by the proxy rules')),
  sink: (socket) => socket.on('end', () => socket.end()),
  'reply-after-fin': (socket, record) => socket.on('end', () => socket.end(`reply:${record.text()}`)),
  'greet-and-close': (socket) => socket.end('hell'),
  'reset-on-second-data': (socket) => {
    socket.once('data', () => {
      socket.write('partial');
      socket.once('data', () => socket.resetAndDestroy());
    });
  },
  'close-on-data': (socket) => socket.once('data', () => socket.end()),
  // Switches protocols on the first request (its headers arrive in one read on loopback), then echoes.
  'upgrade-echo': (socket) =>
    socket.once('data', () => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n');
      socket.pipe(socket);
    }),
  silent: () => {},
  'grpc-authz': (socket) => serveGrpcAuthz(socket, false),
  'grpc-authz-deny': (socket) => serveGrpcAuthz(socket, true),
  'grpc-echo': serveGrpcEcho,
  flood: (socket) => {
    socket.resume();
    socket.end(pattern(FLOOD_BYTES));
  },
};

/** `tls-http` and `tls-http1`: the HTTP version each request arrived in, as the body. */
function answerWithVersion(request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse): void {
  request.resume();
  request.on('end', () => {
    const body = `HTTP/${request.httpVersion}\n`;
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
    response.end(body);
  });
}

/** An HTTPS upstream with the run's `backend` certificate: HTTP/2 by ALPN (else HTTP/1.1), or HTTP/1.1 only. */
async function startHttpsUpstream(behaviour: 'tls-http' | 'tls-http1', pki: string): Promise<Upstream> {
  const credentials = { cert: readFileSync(join(pki, 'backend.crt')), key: readFileSync(join(pki, 'backend.key')) };
  const server =
    behaviour === 'tls-http'
      ? createHttp2Server({ ...credentials, allowHTTP1: true }, answerWithVersion)
      : createHttpsServer({ ...credentials, ALPNProtocols: ['http/1.1'] }, answerWithVersion);
  const sockets = new Set<Socket>();
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections: [],
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** `pki`: the run's certificates, for a TLS upstream. */
export async function startUpstream(behaviour: UpstreamBehaviour, pki: string): Promise<Upstream> {
  if (behaviour === 'hang') return { ...(await startHungServer()), connections: [] };
  // A reserved port nothing listens on: no server another scenario starts meanwhile can take it.
  if (behaviour === 'refuse') return { port: await closedPort(), connections: [], close() {} };
  if (behaviour === 'zipkin-collector') return startZipkinCollector();
  if (behaviour === 'tls-http' || behaviour === 'tls-http1') return startHttpsUpstream(behaviour, pki);
  const connections: StreamRecord[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const record = new StreamRecord(socket);
    connections.push(record);
    return record;
  };
  const server: Server =
    behaviour === 'tls-echo'
      ? createTlsServer(
          { cert: readFileSync(join(pki, 'backend.crt')), key: readFileSync(join(pki, 'backend.key')), ALPNProtocols: ['h2', 'http/1.1'], allowHalfOpen: true },
          (socket) => {
            track(socket);
            socket.pipe(socket);
          },
        ).on('tlsClientError', () => {})
      : createServer({ allowHalfOpen: true }, (socket) => {
          const record = track(socket);
          behaviours[behaviour](socket, record);
        });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    connections,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
