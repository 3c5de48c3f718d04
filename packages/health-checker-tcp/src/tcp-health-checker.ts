import {
  Category,
  healthCheckPayloadSchema,
  payloadBytes,
  payloadMatches,
  schema,
  TCP_HEALTH_CHECK_TYPE_URL,
  type Connection,
  type ConnectionEvent,
  type HealthCheckerFactory,
  type HealthCheckResult,
  type HealthCheckSession,
  type HealthCheckTarget,
  type MessageValue,
} from '@nodevoy/core';

const { message, repeated } = schema;

export const tcpHealthCheckSchema = message(
  'envoy.config.core.v3.HealthCheck.TcpHealthCheck',
  { send: healthCheckPayloadSchema, receive: repeated(healthCheckPayloadSchema) },
  { unsupported: { proxy_protocol_config: 'not implemented by nodevoy yet' } },
);
export type TcpHealthCheckConfig = MessageValue<typeof tcpHealthCheckSchema.fields>;

/** `envoy.health_checkers.tcp`: connect, send `send`, and expect every `receive` segment in order. */
export const tcpHealthChecker: HealthCheckerFactory<TcpHealthCheckConfig> = {
  name: 'envoy.health_checkers.tcp',
  category: Category.healthChecker,
  typeUrls: [TCP_HEALTH_CHECK_TYPE_URL],
  configSchema: tcpHealthCheckSchema,
  createHealthChecker(config, context) {
    const send = config.send ? payloadBytes(config.send) : undefined;
    const receive = (config.receive ?? []).map(payloadBytes);
    return {
      type: 'TCP',
      createSession: (target) => new TcpHealthCheckSession(target, send, receive, context.reuseConnection, context.cluster.perConnectionBufferLimitBytes),
    };
  },
};

/**
 * Envoy's TCP check: with nothing to receive, a connection that opens is a pass (and is closed);
 * otherwise the reply must hold every expected segment, in order. A connection that closes
 * before that is a network failure. With `reuse_connection`, the next check writes on the same
 * connection.
 */
class TcpHealthCheckSession implements HealthCheckSession {
  private connection: Connection | undefined;
  private received: Buffer = Buffer.alloc(0);
  private done: ((result: HealthCheckResult) => void) | undefined;

  constructor(
    private readonly target: HealthCheckTarget,
    private readonly send: Buffer | undefined,
    private readonly receive: readonly Buffer[],
    private readonly reuseConnection: boolean,
    /** The cluster's buffer limit: a reply that grows past it without matching fails the check. */
    private readonly bufferLimit: number,
  ) {}

  check(done: (result: HealthCheckResult) => void): void {
    this.done = done;
    this.received = Buffer.alloc(0);
    const connection = this.connection ?? this.open();
    if (this.send) connection.write(this.send, false);
  }

  abandon(): void {
    this.done = undefined;
    this.closeConnection();
  }

  close(): void {
    this.abandon();
  }

  private open(): Connection {
    const connection = this.target.openConnection();
    this.connection = connection;
    connection.addConnectionCallbacks({ onEvent: (event) => this.onEvent(connection, event) });
    connection.addReadFilter({
      onData: (data) => {
        this.onData(data);
        return 'stop';
      },
    });
    connection.initializeReadFilters();
    connection.connect();
    return connection;
  }

  private onEvent(connection: Connection, event: ConnectionEvent): void {
    if (connection !== this.connection) return;
    if (event === 'Connected') {
      if (this.receive.length > 0) return;
      // Connect-only: opening was the test; the connection is not kept.
      this.closeConnection();
      this.finish({ healthy: true });
      return;
    }
    this.connection = undefined;
    this.finish({ healthy: false, type: 'NETWORK' });
  }

  private onData(data: Buffer): void {
    if (!this.done) return;
    this.received = this.received.length === 0 ? data : Buffer.concat([this.received, data]);
    if (!payloadMatches(this.receive, this.received)) {
      if (this.received.length > this.bufferLimit) {
        this.closeConnection();
        this.finish({ healthy: false, type: 'ACTIVE' });
      }
      return;
    }
    this.received = Buffer.alloc(0);
    if (!this.reuseConnection) this.closeConnection();
    this.finish({ healthy: true });
  }

  private closeConnection(): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.close('NoFlush', 'health check done');
  }

  private finish(result: HealthCheckResult): void {
    const done = this.done;
    this.done = undefined;
    done?.(result);
  }
}
