import type { Connection, ConnectionEvent } from '@nodevoy/core';

/** What tcp_proxy hears from its upstream, whether a TCP connection or an HTTP tunnel. */
export interface UpstreamLinkEvents {
  onData(data: Buffer, endStream: boolean): void;
  /** The upstream is gone; `reset` when it went with a reset. */
  onClosed(reset: boolean, reason: string): void;
  onAboveWriteBufferHighWatermark(): void;
  onBelowWriteBufferLowWatermark(): void;
}

/** tcp_proxy's upstream side: raw TCP or a CONNECT tunnel, driven the same way. */
export interface UpstreamLink {
  write(data: Buffer, endStream: boolean): void;
  readDisable(disable: boolean): void;
  /** `flush`: deliver what was written, then close; `now`: drop it; `reset`: abort. */
  close(mode: 'flush' | 'now' | 'reset', reason: string): void;
  /** True while a flush-close is still delivering bytes (Envoy's upstream "drainer"). */
  readonly flushing: boolean;
  /** Called once when a flush-close completes. */
  onFlushed(callback: () => void): void;
}

/** A raw TCP upstream: a nodevoy connection from the cluster's pool. */
export class TcpUpstream implements UpstreamLink {
  constructor(
    private readonly connection: Connection,
    events: UpstreamLinkEvents,
  ) {
    connection.enableHalfClose(true);
    connection.addConnectionCallbacks({
      onEvent: (event: ConnectionEvent) => {
        if (event !== 'Connected') events.onClosed(connection.detectedCloseType === 'RemoteReset', connection.closeReason || event);
      },
      onAboveWriteBufferHighWatermark: () => events.onAboveWriteBufferHighWatermark(),
      onBelowWriteBufferLowWatermark: () => events.onBelowWriteBufferLowWatermark(),
    });
    connection.addReadFilter({
      onData: (data, endStream) => {
        events.onData(data, endStream);
        return 'stop';
      },
    });
    connection.initializeReadFilters();
  }

  get flushing(): boolean {
    return this.connection.state === 'Closing';
  }

  write(data: Buffer, endStream: boolean): void {
    this.connection.write(data, endStream);
  }

  readDisable(disable: boolean): void {
    if (this.connection.state === 'Open') this.connection.readDisable(disable);
  }

  close(mode: 'flush' | 'now' | 'reset', reason: string): void {
    if (this.connection.state === 'Closed') return;
    this.connection.close(mode === 'flush' ? 'FlushWrite' : mode === 'reset' ? 'AbortReset' : 'NoFlush', reason);
  }

  onFlushed(callback: () => void): void {
    this.connection.addConnectionCallbacks({ onEvent: (event) => event !== 'Connected' && callback() });
  }
}
