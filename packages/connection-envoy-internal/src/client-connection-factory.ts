import {
  Connection,
  ConnectionInfo,
  INTERNAL_LISTENER_REGISTRY,
  upstreamSocketContext,
  type Address,
  type ClientConnectionFactory,
  type ClientConnectionOptions,
  type Counter,
  type ServerContext,
} from '@nodevoy/core';
import { DEFAULT_BUFFER_SIZE_BYTES, DEFAULT_MAX_HOPS, INTERNAL_CONNECTION_SETTINGS, MAX_HOPS_RUNTIME_KEY } from './settings.js';
import { createSocketPair } from './socket-pair.js';

/**
 * `network.connection.client.envoy_internal`: opens an in-process connection to the internal
 * listener an `envoy_internal_address` names, on the caller's worker. As in Envoy, the
 * listener accepts synchronously here; when no listener answers, the returned connection's
 * `connect()` fails, so callers count a connect failure and nothing crashes.
 */
export class EnvoyInternalClientConnectionFactory implements ClientConnectionFactory {
  readonly addressKind = 'envoy_internal';

  private readonly hopLimitExceeded: Counter;
  /** Static runtime layers only: read once. */
  private readonly maxHops: number;

  constructor(private readonly server: ServerContext) {
    this.hopLimitExceeded = server.stats.counter('internal_listener.hop_limit_exceeded');
    this.maxHops = server.runtime.getInteger(MAX_HOPS_RUNTIME_KEY, DEFAULT_MAX_HOPS);
  }

  createClientConnection(address: Address, options: ClientConnectionOptions): Connection {
    if (address.kind !== 'envoy_internal') throw new TypeError(`envoy_internal factory given a ${address.kind} address`);
    const log = this.server.log;
    const bufferSize = this.server.services.get(INTERNAL_CONNECTION_SETTINGS)?.bufferSizeBytes ?? DEFAULT_BUFFER_SIZE_BYTES;
    log.debug(`Internal client connection buffer size ${bufferSize}.`);
    const { client, server } = createSocketPair(address, bufferSize);
    const connection = new Connection({
      id: this.server.nextConnectionId(),
      io: options.transportSocket ? options.transportSocket.wrap(client, upstreamSocketContext(options)) : client,
      info: new ConnectionInfo(),
      bufferLimit: options.bufferLimit,
      log,
      connecting: true,
      worker: options.worker,
    });
    const registry = this.server.services.get(INTERNAL_LISTENER_REGISTRY);
    if (!registry) {
      log.debug('server has not initialized internal listener registry, close the connection');
      server.close('now');
      return connection;
    }
    const listener = registry.find(options.worker, address.serverListenerName);
    if (!listener) {
      log.debug(`no internal listener named '${address.serverListenerName}' on ${options.worker.name}, close the connection`);
      server.close('now');
      return connection;
    }
    const hops = (options.internalHops ?? 0) + 1;
    const maxHops = this.maxHops;
    if (hops > maxHops) {
      this.hopLimitExceeded.inc();
      log.warn(`internal hop limit reached: a connection to ${address.asString} would be hop ${hops} of at most ${maxHops} (${MAX_HOPS_RUNTIME_KEY}); is there a loop of internal listeners? Connection refused`);
      server.close('now');
      return connection;
    }
    server.passthroughState.internalHops = hops;
    listener.acceptInternal(server);
    return connection;
  }
}

