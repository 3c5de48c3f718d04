import type { AccessLogFilterConfig } from '../config/envoy/access-log-filter.js';
import type { ExtensionEntry } from '../config/schema/extension-entry.js';
import type { Logger } from '../log/logger.js';
import type { Address } from '../network/address.js';
import type { ConnectionInfo } from '../network/connection-info.js';
import type { SslConnectionInfo } from '../network/ssl-info.js';
import type { AccessLogger, AccessLoggerFactory } from '../registry/types.js';
import type { ServerContext } from '../server/context.js';
import { compileAccessLogFilter } from './access-log-filter.js';
import type { AccessLogType, FormatContext } from './substitution-format.js';

/** A downstream connection as its access log entries read it (no id or bytes before one exists). */
export interface LoggedConnection {
  readonly id?: number;
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  readonly info: ConnectionInfo;
  readonly ssl?: SslConnectionInfo;
  readonly bytesReceived?: number;
  readonly bytesSent?: number;
}

/** The entry of a connection (listener and tcp_proxy logs): what it and its terminal filter recorded. */
export function connectionLogContext(connection: LoggedConnection, accessLogType?: AccessLogType): FormatContext {
  const info = connection.info;
  return {
    connectionId: connection.id,
    localAddress: connection.localAddress,
    remoteAddress: connection.remoteAddress,
    ...(connection.ssl ? { ssl: connection.ssl } : {}),
    info,
    upstreamCluster: info.upstreamCluster,
    upstreamHost: info.upstreamHost,
    upstreamLocalAddress: info.upstreamLocalAddress,
    upstreamTransportFailureReason: info.upstreamTransportFailureReason,
    accessLogType,
    outcome: {
      responseFlags: info.responseFlags.toString(),
      responseCodeDetails: info.responseCodeDetails,
      bytesReceived: connection.bytesReceived ?? 0,
      bytesSent: connection.bytesSent ?? 0,
      durationMs: Date.now() - info.startTimeMs,
    },
  };
}

/** Hands one entry to every logger; a logger that throws is reported and the others still log. */
export function emitAccessLogs(loggers: readonly AccessLogger[], context: FormatContext, log: Logger, where: string): void {
  for (const logger of loggers) {
    try {
      logger.log(context);
    } catch (err) {
      log.warn(`${where} access logger threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** The loggers of an `access_log` list, each behind its entry's `filter` when it has one. */
export function createAccessLoggers(entries: readonly ExtensionEntry[] | undefined, server: ServerContext): AccessLogger[] {
  return (entries ?? []).map((entry) => {
    const logger = (entry.typed.target as AccessLoggerFactory).createAccessLogger(entry.typed.config, server);
    const filter = entry.extra?.['filter'] as AccessLogFilterConfig | undefined;
    if (!filter) return logger;
    const accepts = compileAccessLogFilter(filter, server.runtime);
    return { log: (context) => void (accepts(context) && logger.log(context)) };
  });
}
