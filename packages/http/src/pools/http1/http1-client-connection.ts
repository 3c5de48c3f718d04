import type { Connection, ConnectionCallbacks, ConnectionEvent } from '@nodevoy/core';
import { HTTPParser, type HeadersCompleteCallback, type LlhttpError, type LlhttpParser } from '../../llhttp.js';

const EMPTY = Buffer.alloc(0);

/** The request a client connection is carrying: what it hears of the response. */
export interface Http1Exchange {
  readonly isHead: boolean;
  readonly isConnect: boolean;
  onContinue(): void;
  /** `tunnel`: a CONNECT's answer or a 101: the connection's bytes are the tunnel's from here. */
  onResponseHead(status: number, rawHeaders: string[], tunnel: boolean): void;
  onResponseBody(data: Buffer): void;
  onResponseComplete(trailers: string[]): void;
  /** Tunnel bytes after the answer; `end`: the upstream's FIN. */
  onTunnelData(data: Buffer, end: boolean): void;
  onWritable(): void;
  /** The connection failed the exchange (a parse error, a reset, a close before the response ended). */
  onConnectionFailure(kind: 'protocol' | 'reset', detail: string): void;
  /** The connection closed after the exchange was done or while it was a tunnel. */
  onConnectionClosed(reset: boolean, reason: string): void;
}

/** What a client connection tells its pool. */
export interface Http1ConnectionOwner {
  /** The exchange completed and the connection may carry another. */
  released(connection: Http1ClientConnection): void;
  closed(connection: Http1ClientConnection): void;
  /** The upstream said `connection: close` (Envoy's `upstream_cx_close_notify`). */
  closeNotified(): void;
  /** The upstream's bytes did not parse (`upstream_cx_protocol_error`). */
  protocolError(): void;
}

/**
 * One upstream HTTP/1.1 connection of a pool, on nodevoy's own codec: requests are written
 * straight onto the connection and llhttp parses the responses, one exchange at a time.
 */
export class Http1ClientConnection implements ConnectionCallbacks {
  private readonly parser: LlhttpParser;
  private exchange: Http1Exchange | undefined;
  private pendingHeaders: string[] = [];
  private informational = false;
  private keepAlive = true;
  private tunnel = false;
  private readingDisabled = false;
  /** The response head has been parsed (its body may still be coming). */
  private responseStarted = false;
  /** The response is complete; the request may still be sending. */
  private responseComplete = false;
  /** Requests carried, the current one included. */
  served = 0;
  /** Close after the current exchange (`max_requests_per_connection`, a draining pool). */
  closeAfterExchange = false;
  /** The current exchange has written its whole request. */
  requestEnded = false;
  private isClosed = false;
  idleTimer: NodeJS.Timeout | undefined;
  /** `max_connection_duration`'s clock. */
  lifetimeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly connection: Connection,
    private readonly owner: Http1ConnectionOwner,
    /** `allow_chunked_length`: a response with both a length and chunks is read as chunked. */
    allowChunkedLength: boolean,
  ) {
    this.parser = new HTTPParser();
    this.parser.initialize(HTTPParser.RESPONSE, {}, 0, allowChunkedLength ? HTTPParser.kLenientChunkedLength : HTTPParser.kLenientNone);
    this.parser[HTTPParser.kOnHeaders] = (headers: string[]) => {
      for (const item of headers) this.pendingHeaders.push(item);
    };
    this.parser[HTTPParser.kOnHeadersComplete] = this.onHeadersComplete;
    this.parser[HTTPParser.kOnBody] = (data: Buffer) => this.exchange?.onResponseBody(data);
    this.parser[HTTPParser.kOnMessageComplete] = this.onMessageComplete;
    // As Envoy's codec client: the upstream's FIN closes the connection (a RemoteClose), except in
    // a tunnel, which carries half-closes.
    connection.addConnectionCallbacks(this);
    connection.addReadFilter({
      onData: (data, endStream) => {
        this.onData(data, endStream);
        return 'stop';
      },
    });
    connection.initializeReadFilters();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get writable(): boolean {
    return !this.connection.isAboveHighWatermark;
  }

  /** The connection carries `exchange` from now on. */
  assign(exchange: Http1Exchange): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.exchange = exchange;
    this.served++;
    this.requestEnded = false;
  }

  write(data: Buffer): void {
    this.connection.write(data, false);
  }

  /** Our FIN: a tunnel's end. */
  endWrite(): void {
    this.connection.write(EMPTY, true);
  }

  /** The request's last byte is written: a connection whose response is complete may go back. */
  requestDone(): void {
    this.requestEnded = true;
    if (this.exchange === undefined) return;
    this.maybeRelease();
  }

  readDisable(disable: boolean): void {
    if (disable === this.readingDisabled) return;
    this.readingDisabled = disable;
    this.connection.readDisable(disable);
  }

  /** Abandons the exchange: the connection closes (its bytes in flight belong to nobody). */
  abort(reason: string): void {
    this.exchange = undefined;
    this.connection.close('NoFlush', reason);
  }

  close(reason: string): void {
    this.connection.close('FlushWrite', reason);
  }

  // ConnectionCallbacks

  onEvent(event: ConnectionEvent): void {
    if (event === 'Connected') return;
    this.isClosed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
    // A body that runs to the close is complete when the upstream closes cleanly.
    if (event === 'RemoteClose' && this.exchange && !this.tunnel && this.connection.detectedCloseType === 'Normal') this.parser.finish();
    const exchange = this.exchange;
    this.exchange = undefined;
    const reset = this.connection.detectedCloseType !== 'Normal';
    const reason = this.connection.closeReason || event;
    if (exchange) {
      if (this.tunnel) exchange.onConnectionClosed(reset, reason);
      else exchange.onConnectionFailure('reset', this.responseStarted ? 'upstream reset' : 'socket hang up');
    }
    queueMicrotask(() => this.parser.close());
    this.owner.closed(this);
  }

  onAboveWriteBufferHighWatermark(): void {}

  onBelowWriteBufferLowWatermark(): void {
    this.exchange?.onWritable();
  }

  /** Bytes from the upstream; `endStream` (its FIN) only reaches a tunnel. */
  private onData(data: Buffer, endStream: boolean): void {
    if (this.tunnel) {
      this.exchange?.onTunnelData(data, endStream);
      return;
    }
    const parsed = this.parser.execute(data);
    if (typeof parsed !== 'number') {
      this.fail(parsed);
      return;
    }
    // The answer that opened a tunnel may have come with its first bytes.
    if (this.tunnel && parsed < data.length) this.exchange?.onTunnelData(data.subarray(parsed), false);
  }

  private fail(error: LlhttpError): void {
    this.owner.protocolError();
    const exchange = this.exchange;
    this.exchange = undefined;
    exchange?.onConnectionFailure('protocol', `Parse Error: ${error.reason}`);
    this.connection.close('NoFlush', 'protocol error');
  }

  private readonly onHeadersComplete: HeadersCompleteCallback = (_major, _minor, rawHeaders, _method, _url, status, _message, upgrade, shouldKeepAlive) => {
    const headers = rawHeaders ?? this.pendingHeaders;
    this.pendingHeaders = [];
    const exchange = this.exchange;
    const code = status ?? 0;
    if (code >= 100 && code < 200 && code !== 101) {
      this.informational = true;
      if (code === 100) exchange?.onContinue();
      return 0;
    }
    this.keepAlive = shouldKeepAlive;
    this.responseStarted = true;
    if (!exchange) return 0;
    // As node:http's client: every answer to CONNECT, and a 101, hands the connection over.
    if (exchange.isConnect || upgrade) {
      this.tunnel = true;
      this.connection.enableHalfClose(true);
      exchange.onResponseHead(code, headers, true);
      return 2;
    }
    exchange.onResponseHead(code, headers, false);
    return exchange.isHead ? 1 : 0;
  };

  private readonly onMessageComplete = (): void => {
    const trailers = this.pendingHeaders;
    this.pendingHeaders = [];
    if (this.informational) {
      this.informational = false;
      return;
    }
    if (this.tunnel) return;
    this.responseStarted = false;
    this.exchange?.onResponseComplete(trailers);
    this.maybeRelease(true);
  };

  /** Back to the pool once both the request and the response are done, if the connection may be reused. */
  private maybeRelease(responseJustCompleted = false): void {
    if (responseJustCompleted) this.responseComplete = true;
    if (!this.responseComplete || !this.requestEnded || this.isClosed) return;
    this.responseComplete = false;
    this.exchange = undefined;
    this.readDisable(false);
    if (!this.keepAlive) this.owner.closeNotified();
    if (!this.keepAlive || this.closeAfterExchange) this.close('connection not reusable');
    else this.owner.released(this);
  }
}
