import { createServer, type Server } from 'node:http';
import { ListenerBindError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { socketAddress, type SocketAddress } from '../network/address.js';
import type { AdminSource } from './admin-source.js';
import { handleAdminRequest } from './handlers.js';

/**
 * Says where the admin listens, as Envoy does at startup, and warns when that is beyond this
 * machine: whoever reaches it can read the config and stop the server (`/quitquitquit`).
 */
export function logAdminAddress(log: Logger, address: SocketAddress): void {
  log.info(`admin address: ${address.asString}`);
  if (!isLoopback(address.ip)) {
    log.warn(`admin interface bound to non-loopback address ${address.asString}: anyone who can reach it can read the config and stop the server (/quitquitquit); bind it to 127.0.0.1 unless that is intended`);
  }
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip === 'localhost' || /^127\./.test(ip) || /^::ffff:127\./i.test(ip);
}

/** The admin HTTP server (`admin.address`), on node:http. */
export class AdminServer {
  private server: Server | undefined;
  private bound: SocketAddress;

  constructor(
    private readonly source: AdminSource,
    private readonly address: SocketAddress,
  ) {
    this.bound = address;
  }

  get boundAddress(): SocketAddress {
    return this.bound;
  }

  start(): Promise<void> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const response = handleAdminRequest(this.source, { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams });
      res.writeHead(response.status, {
        'content-type': response.contentType,
        'cache-control': 'no-cache, max-age=0',
        'x-content-type-options': 'nosniff',
        server: 'envoy',
      });
      res.end(response.body);
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new ListenerBindError(`cannot bind admin address '${this.address.asString}': ${err.code ?? err.message}`, { cause: err })),
      );
      server.listen({ host: this.address.ip, port: this.address.port }, () => {
        const a = server.address();
        if (a && typeof a === 'object') this.bound = socketAddress(a.address, a.port);
        resolve();
      });
    });
  }

  stop(): void {
    this.server?.close();
    this.server?.closeAllConnections();
    this.server = undefined;
  }
}
