import { Agent, request, type ClientRequest } from 'node:http';
import type { HealthCheckTarget } from '@nodevoy/core';
import { healthCheckDuplex } from './health-check-duplex.js';
import { BodyCollector, type HealthCheckHttpClient, type HealthCheckRequest, type HealthCheckResponse } from './http-client.js';

/**
 * HTTP/1.1 checks through node:http, one connection kept alive between checks when
 * `reuse_connection` (Envoy's default) and a new one per check otherwise.
 */
export class Http1HealthCheckClient implements HealthCheckHttpClient {
  private readonly agent: Agent;
  private inFlight: ClientRequest | undefined;

  constructor(
    target: HealthCheckTarget,
    private readonly reuseConnection: boolean,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
    this.agent.createConnection = () => healthCheckDuplex(target) as never;
  }

  send(head: HealthCheckRequest, bodyLimit: number, done: (outcome: HealthCheckResponse | Error) => void): void {
    let finished = false;
    const finish = (outcome: HealthCheckResponse | Error) => {
      if (finished) return;
      finished = true;
      if (this.inFlight === req) this.inFlight = undefined;
      done(outcome);
    };
    const req = request({
      agent: this.agent,
      host: 'upstream',
      method: head.method,
      path: head.path,
      setHost: false,
      headers: { host: head.authority, ...head.headers },
    });
    this.inFlight = req;
    // Owned from birth: a reset must fail the check, never the process.
    req.on('error', (err) => finish(err));
    req.on('response', (response) => {
      const collector = new BodyCollector(bodyLimit);
      response.on('data', (chunk: Buffer) => collector.add(chunk));
      response.on('error', (err) => finish(err));
      response.on('end', () => {
        const socket = req.socket;
        finish({
          status: response.statusCode ?? 0,
          header: (name) => headerValue(response.headers[name]),
          body: collector.body,
          trailer: () => undefined,
        });
        if (!this.reuseConnection) socket?.destroy();
      });
    });
    // Keep-alive is the checker's business: no `Connection: keep-alive` on the wire, as Envoy.
    req.removeHeader('connection');
    req.end(head.body);
  }

  abandon(): void {
    this.inFlight?.destroy();
    this.inFlight = undefined;
  }

  close(): void {
    this.abandon();
    this.agent.destroy();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
