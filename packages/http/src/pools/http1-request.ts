import { request, type Agent, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { UpstreamRequester } from '@nodevoy/core';
import type { Duplex } from 'node:stream';
import { ConnectionDuplex } from '../connection-duplex.js';
import { REQUESTER, UpstreamConnectError } from './upstream-connector.js';
import { HeaderMap, upgradeRequested } from '../headers.js';
import type { RequestHead, UpstreamRequest, UpstreamRequestCallbacks } from './types.js';

const EMPTY = Buffer.alloc(0);

/** Methods whose requests have no body: a headers-only one is sent without framing, as Envoy's codec does. */
const BODILESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'TRACE', 'CONNECT']);

/**
 * One request over an HTTP/1.1 keep-alive pool (a node:http Agent on nodevoy connections).
 * A CONNECT turns into a raw tunnel on the connection once the response arrives, and so does
 * an upgrade (websocket) once the upstream answers 101; the connection then leaves the pool.
 */
export class Http1UpstreamRequest implements UpstreamRequest {
  private readonly request: ClientRequest;
  private response: IncomingMessage | undefined;
  private tunnel: Duplex | undefined;
  /** The pooled connection serving the request (a ConnectionDuplex over a nodevoy connection). */
  private socket: Duplex | undefined;
  private done = false;
  private readonly isHead: boolean;

  constructor(
    agent: Agent,
    head: RequestHead,
    /** The request has no body: it ends with its headers. */
    headersOnly: boolean,
    requester: UpstreamRequester | undefined,
    private readonly callbacks: UpstreamRequestCallbacks,
    /** Called when a pooled connection takes the request; false: close it after this one. */
    mayReuse: (socket: Duplex) => boolean,
  ) {
    const isConnect = head.method === 'CONNECT';
    this.isHead = head.method === 'HEAD';
    // Host first, where Envoy's HTTP/1.1 codec writes it.
    const headers = HeaderMap.from([['host', head.authority], ...head.headers]);
    // node:http sends the head at once when `Expect` is among the options, its own
    // `Connection: keep-alive` included; set after the keep-alive rule below, it is a plain header.
    const expect = headers.get('expect');
    headers.remove('expect');
    // Envoy's codec frames a headers-only request of a method that may carry a body with
    // `content-length: 0` (node:http would send an empty chunked body, or for OPTIONS nothing).
    if (headersOnly && !BODILESS_METHODS.has(head.method) && !headers.has('content-length') && !headers.has('transfer-encoding')) {
      headers.set('content-length', '0');
    }
    // A body without a length goes chunked whatever the method, as Envoy's codec frames it:
    // node:http writes a GET's or DELETE's body unframed, and the upstream would read it as the
    // start of the next request on the connection. A tunnel (CONNECT, an upgrade) has no framing.
    const upgrade = upgradeRequested(head.headers);
    if (!headersOnly && !isConnect && upgrade === undefined && !headers.has('content-length')) headers.set('transfer-encoding', 'chunked');
    this.request = request({
      agent,
      host: 'upstream',
      method: head.method,
      path: isConnect ? head.authority : head.path,
      setHost: false,
      headers: headers.toHttp2(),
      // Reaches the Agent's createConnection if this request opens a connection.
      [REQUESTER]: requester,
    } as RequestOptions);
    // The request is an emitter on the data path: its error path is owned before anything else
    // can throw or fail (an 'error' without a listener takes the whole process down).
    this.request.on('error', (error: NodeJS.ErrnoException) => this.fail(error));
    this.request.on('socket', (socket) => {
      this.socket = socket;
      if (!mayReuse(socket)) this.request.shouldKeepAlive = false;
      const assigned = () => this.callbacks.onAssigned('http1');
      if ((socket as Duplex & { connecting?: boolean }).connecting) socket.once('connect', assigned);
      else assigned();
    });
    this.request.on('continue', () => this.callbacks.onContinue?.());
    this.request.on('response', (response) => this.onResponse(response));
    this.request.on('connect', (response: IncomingMessage, socket: Duplex, leftover: Buffer) => this.onTunnel(response, socket, leftover));
    this.request.on('upgrade', (response: IncomingMessage, socket: Duplex, leftover: Buffer) => this.onTunnel(response, socket, leftover));
    this.request.on('drain', () => this.callbacks.onWritable());
    // Keep-alive is the pool's business: no `Connection: keep-alive` on the wire, as Envoy.
    if (upgrade === undefined) this.request.removeHeader('connection');
    if (expect !== undefined) this.request.setHeader('expect', expect);
    // Headers leave now, as Envoy's: a CONNECT peer answers before any payload is sent. Not
    // flushHeaders(): it writes the head as UTF-8, and header bytes above 0x7f are latin1.
    this.request.write(EMPTY);
  }

  sendData(data: Buffer, endStream: boolean): boolean {
    if (this.tunnel) {
      if (endStream) {
        // An HTTP/1.1 tunnel cannot half-close: its end closes the connection once written.
        const tunnel = this.tunnel;
        tunnel.end(data.length > 0 ? data : undefined, () => tunnel.destroy());
        return true;
      }
      return this.tunnel.write(data);
    }
    if (endStream) {
      this.request.end(data.length > 0 ? data : undefined);
      return true;
    }
    return data.length === 0 || this.request.write(data);
  }

  readDisable(disable: boolean): void {
    const source = this.tunnel ?? this.response;
    if (disable) source?.pause();
    else source?.resume();
  }

  reset(): void {
    this.done = true;
    this.tunnel?.destroy();
    this.request.destroy();
  }

  private onResponse(response: IncomingMessage): void {
    this.response = response;
    const status = response.statusCode ?? 502;
    // As Envoy's codec: a response that can have no body ends with its headers.
    const bodiless = this.isHead || status === 204 || status === 304 || (response.headers['content-length'] === '0' && response.headers['transfer-encoding'] === undefined);
    this.callbacks.onResponseHeaders({ status, headers: HeaderMap.fromRaw(response.rawHeaders) }, bodiless);
    response.on('data', (chunk: Buffer) => this.callbacks.onResponseData(chunk, false));
    response.on('end', () => {
      if (response.rawTrailers.length > 0) this.callbacks.onResponseTrailers(HeaderMap.fromRaw(response.rawTrailers));
      this.done = true;
      if (!bodiless) this.callbacks.onResponseData(EMPTY, true);
    });
    response.on('aborted', () => this.fail(new Error('upstream reset')));
  }

  private onTunnel(response: IncomingMessage, socket: Duplex, leftover: Buffer): void {
    this.tunnel = socket;
    this.callbacks.onResponseHeaders({ status: response.statusCode ?? 502, headers: HeaderMap.fromRaw(response.rawHeaders) }, false);
    if (leftover.length > 0) this.callbacks.onResponseData(leftover, false);
    socket.on('data', (chunk: Buffer) => this.callbacks.onResponseData(chunk, false));
    socket.on('end', () => {
      this.done = true;
      this.callbacks.onResponseData(EMPTY, true);
    });
    socket.on('drain', () => this.callbacks.onWritable());
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(error));
    // Closed without a FIN read: our own close after the client's end, or the peer went away.
    socket.on('close', () => {
      if (this.done) return;
      this.done = true;
      this.callbacks.onResponseData(EMPTY, true);
    });
  }

  private fail(error: NodeJS.ErrnoException): void {
    if (this.done) return;
    this.done = true;
    if (error instanceof UpstreamConnectError) {
      this.callbacks.onFailure(error.failure);
      return;
    }
    const protocol = typeof error.code === 'string' && error.code.startsWith('HPE_');
    const hopFailure = this.socket instanceof ConnectionDuplex ? this.socket.connection?.hopFailure : undefined;
    this.callbacks.onFailure({
      kind: protocol ? 'protocol' : 'reset',
      resetReason: protocol ? 'protocol error' : 'remote reset',
      detail: error.message,
      ...(hopFailure ? { hopFailure } : {}),
    });
  }
}
