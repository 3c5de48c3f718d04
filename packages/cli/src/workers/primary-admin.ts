import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { socketAddress, type AdminResponse, type SocketAddress } from '@nodevoy/core';
import type { WorkerPool } from './worker-pool.js';

/** Admin paths that act on the whole server: every worker is asked. */
const EVERY_WORKER = new Set(['/quitquitquit', '/drain_listeners', '/healthcheck/fail', '/healthcheck/ok']);

/**
 * The admin of a multi-worker nodevoy, in the primary process: stats add up over the workers
 * (worker 0 renders them, so every format is the single-worker one), `/ready` is LIVE only when
 * every worker is, `/quitquitquit` and `/drain_listeners` reach all of them, and the rest
 * (listeners, clusters, server_info, config_dump, runtime: the same config everywhere) is worker 0's.
 */
export class PrimaryAdmin {
  private server: Server | undefined;

  constructor(private readonly pool: WorkerPool) {}

  async start(host: string, port: number): Promise<SocketAddress> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams.toString() };
      this.answer(request).then(
        (response) => {
          res.writeHead(response.status, { 'content-type': response.contentType, 'cache-control': 'no-cache, max-age=0', 'x-content-type-options': 'nosniff', server: 'envoy' });
          res.end(response.body);
        },
        (err: Error) => {
          res.writeHead(503, { 'content-type': 'text/plain; charset=UTF-8' });
          res.end(`${err.message}\n`);
        },
      );
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    server.listen({ host, port });
    await once(server, 'listening');
    const address = server.address() as AddressInfo;
    return socketAddress(address.address, address.port);
  }

  stop(): void {
    this.server?.close();
    this.server?.closeAllConnections();
  }

  private async answer(request: { method: string; path: string; query: string }): Promise<AdminResponse> {
    const { pool } = this;
    const { rpc } = pool;
    // While a worker is being replaced, the server answers with those that run.
    if (request.path === '/ready' && !pool.allRunning()) {
      return { status: 503, contentType: 'text/plain; charset=UTF-8', body: 'INITIALIZING\n' };
    }
    const [first, ...others] = pool.running();
    if (!first) throw new Error('no worker is running yet');
    if (request.path === '/quitquitquit') pool.stop();
    if (request.path === '/ready' || EVERY_WORKER.has(request.path)) {
      const responses = await Promise.all([first, ...others].map((worker) => rpc.admin(worker, request)));
      return responses.find((r) => r.status !== 200) ?? (responses[0] as AdminResponse);
    }
    if (request.path.startsWith('/stats')) {
      const otherStats = await Promise.all(others.map((worker) => rpc.stats(worker)));
      return rpc.admin(first, request, [...otherStats, pool.snapshot()]);
    }
    return rpc.admin(first, request);
  }
}
