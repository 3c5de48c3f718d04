import { connectionLogContext, emitAccessLogs, type AccessLogger, type AccessLogType, type Connection, type Logger } from '@nodevoy/core';
import type { TcpProxyConfig } from './config.js';

/** When a tcp_proxy writes access log entries, besides the one at the end of each connection. */
export interface TcpAccessLogConfig {
  readonly loggers: readonly AccessLogger[];
  readonly flushIntervalMs: number | undefined;
  readonly flushOnConnected: boolean;
}

/** `access_log_options`, or the deprecated top-level fields it replaced. */
export function tcpAccessLogConfig(config: TcpProxyConfig, loggers: readonly AccessLogger[]): TcpAccessLogConfig {
  const options = config.access_log_options;
  return {
    loggers,
    flushIntervalMs: options ? options.access_log_flush_interval : config.access_log_flush_interval,
    flushOnConnected: (options ? options.flush_access_log_on_connected : config.flush_access_log_on_connected) ?? false,
  };
}

/** The access log of one tcp_proxy session: on upstream connect, every flush interval, at the end. */
export interface SessionAccessLog {
  start(): void;
  onUpstreamConnected(): void;
  end(): void;
}

/** Without loggers a session logs nothing and allocates nothing. */
const NO_ACCESS_LOG: SessionAccessLog = { start() {}, onUpstreamConnected() {}, end() {} };

export function sessionAccessLog(config: TcpAccessLogConfig, connection: Connection, log: Logger): SessionAccessLog {
  return config.loggers.length === 0 ? NO_ACCESS_LOG : new LoggingSession(config, connection, log);
}

class LoggingSession implements SessionAccessLog {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: TcpAccessLogConfig,
    private readonly connection: Connection,
    private readonly log: Logger,
  ) {}

  start(): void {
    const interval = this.config.flushIntervalMs;
    if (interval !== undefined) this.timer = setInterval(() => this.write('TcpPeriodic'), interval);
  }

  onUpstreamConnected(): void {
    if (this.config.flushOnConnected) this.write('TcpUpstreamConnected');
  }

  end(): void {
    clearInterval(this.timer);
    this.write('TcpConnectionEnd');
  }

  private write(type: AccessLogType): void {
    emitAccessLogs(this.config.loggers, connectionLogContext(this.connection, type), this.log, `[C${this.connection.id}] tcp_proxy`);
  }
}
