import { Socket } from 'node:net';
import { socketAddress, type Address } from './address.js';
import { upstreamSocketContext, type ClientConnectionContext, type ClientConnectionFactory, type ClientConnectionOptions } from './client-connection-factory.js';
import { Connection } from './connection.js';
import { ConnectionInfo } from './connection-info.js';
import { SocketIoHandle } from './socket-io-handle.js';

/** Kernel TCP client connections: the factory for `socket_address` endpoints. */
export class TcpClientConnectionFactory implements ClientConnectionFactory {
  readonly addressKind = 'socket';

  constructor(private readonly context: ClientConnectionContext) {}

  createClientConnection(address: Address, options: ClientConnectionOptions): Connection {
    if (address.kind !== 'socket') throw new TypeError(`TCP factory given a ${address.kind} address`);
    const socket = new Socket({ allowHalfOpen: true });
    socket.setNoDelay(true);
    // Node sets the idle time only; probes and their interval stay the system's.
    if (options.tcpKeepaliveMs !== undefined) socket.setKeepAlive(true, options.tcpKeepaliveMs);
    const raw = new SocketIoHandle(socket, { local: socketAddress(address.family === 6 ? '::' : '0.0.0.0', 0), remote: address }, {
      host: address.ip,
      port: address.port,
    });
    const io = options.transportSocket ? options.transportSocket.wrap(raw, upstreamSocketContext(options)) : raw;
    return new Connection({
      id: this.context.nextConnectionId(),
      io,
      info: new ConnectionInfo(),
      bufferLimit: options.bufferLimit,
      log: this.context.log,
      connecting: true,
      worker: options.worker,
    });
  }
}
