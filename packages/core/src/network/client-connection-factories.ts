import { DuplicateExtensionError } from '../errors.js';
import { INTERNAL_CLIENT_ADDRESS, socketAddress, type Address } from './address.js';
import type { ClientConnectionContext, ClientConnectionFactory, ClientConnectionOptions } from './client-connection-factory.js';
import { Connection } from './connection.js';
import { ConnectionInfo } from './connection-info.js';
import { FailedIoHandle } from './failed-io-handle.js';

/** The client connection factories of one server, by address kind (Envoy's dispatcher lookup). */
export class ClientConnectionFactories {
  private readonly byKind = new Map<string, ClientConnectionFactory>();

  constructor(private readonly context: ClientConnectionContext) {}

  install(factory: ClientConnectionFactory): void {
    if (this.byKind.has(factory.addressKind)) {
      throw new DuplicateExtensionError(`a client connection factory for '${factory.addressKind}' addresses is already installed`);
    }
    this.byKind.set(factory.addressKind, factory);
  }

  has(kind: string): boolean {
    return this.byKind.has(kind);
  }

  createClientConnection(address: Address, options: ClientConnectionOptions): Connection {
    const factory = this.byKind.get(address.kind);
    if (factory) return factory.createClientConnection(address, options);
    const local = address.kind === 'envoy_internal' ? INTERNAL_CLIENT_ADDRESS : socketAddress('0.0.0.0', 0);
    const reason =
      address.kind === 'envoy_internal'
        ? 'no client connection factory for envoy_internal addresses: add the envoy.bootstrap.internal_listener bootstrap extension'
        : `no client connection factory for ${address.kind} addresses`;
    return new Connection({
      id: this.context.nextConnectionId(),
      io: new FailedIoHandle(local, address, reason),
      info: new ConnectionInfo(),
      bufferLimit: options.bufferLimit,
      log: this.context.log,
      connecting: true,
      worker: options.worker,
    });
  }
}
