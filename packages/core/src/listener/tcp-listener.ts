import { createServer, type Server, type Socket } from 'node:net';
import { ListenerBindError } from '../errors.js';
import { socketAddress, type SocketAddress } from '../network/address.js';
import { SocketIoHandle } from '../network/socket-io-handle.js';
import type { Listener } from './listener.js';

/**
 * The kernel socket of a TCP listener: binds, accepts, hands sockets to the listener it serves.
 * An updated listener on the same address takes the socket over (`serve`), so the port never
 * closes in between.
 */
export class TcpListenerSocket {
  private server: Server | undefined;
  private bound: SocketAddress;
  private listener: Listener | undefined;

  constructor(
    private readonly configured: SocketAddress,
    private readonly backlog: number | undefined,
    /** Workers of one nodevoy (node:cluster) accept on one shared socket, as Envoy's workers do. */
    private readonly shared = false,
  ) {
    this.bound = configured;
  }

  /** The address actually bound (the real port when the config said port 0). */
  get boundAddress(): SocketAddress {
    return this.bound;
  }

  get isBound(): boolean {
    return this.server !== undefined;
  }

  /** From now on, accepted sockets go to `listener`. */
  serve(listener: Listener): void {
    this.listener = listener;
  }

  bind(): Promise<void> {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new ListenerBindError(`cannot bind '${this.configured.asString}': ${describeBindError(err)}`, { cause: err }));
      });
      server.listen({ host: this.configured.ip, port: this.configured.port, ...(this.backlog ? { backlog: this.backlog } : {}), exclusive: !this.shared }, () => {
        const address = server.address();
        if (address && typeof address === 'object') this.bound = socketAddress(address.address, address.port);
        resolve();
      });
    });
  }

  /** Stops accepting; live connections are not touched. */
  stopAccepting(): void {
    this.server?.close();
    this.server = undefined;
  }

  private onConnection(socket: Socket): void {
    const { remoteAddress, remotePort, localAddress, localPort } = socket;
    if (remoteAddress === undefined || remotePort === undefined || localAddress === undefined || localPort === undefined) {
      // The peer is already gone.
      socket.destroy();
      return;
    }
    socket.on('error', () => {}); // reported through the IoHandle once the connection exists
    const listener = this.listener;
    if (!listener || listener.rejectForOverload()) {
      socket.destroy();
      return;
    }
    listener.accept(
      new SocketIoHandle(socket, { local: socketAddress(localAddress, localPort), remote: socketAddress(remoteAddress, remotePort) }),
    );
  }
}

function describeBindError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return 'Address already in use';
    case 'EADDRNOTAVAIL':
      return 'Cannot assign requested address';
    case 'EACCES':
      return 'Permission denied';
    default:
      return err.message;
  }
}
