import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import type { HealthCheckTarget } from '@nodevoy/core';
import { healthCheckDuplex } from './health-check-duplex.js';
import { BodyCollector, type HealthCheckHttpClient, type HealthCheckRequest, type HealthCheckResponse } from './http-client.js';

/**
 * HTTP/2 checks (and gRPC's) through node:http2: one session kept between checks when
 * `reuse_connection`, a stream per check. A session the host is closing (GOAWAY) is not reused.
 */
export class Http2HealthCheckClient implements HealthCheckHttpClient {
  private session: ClientHttp2Session | undefined;
  private stream: ClientHttp2Stream | undefined;

  constructor(
    private readonly target: HealthCheckTarget,
    private readonly reuseConnection: boolean,
  ) {}

  send(head: HealthCheckRequest, bodyLimit: number, done: (outcome: HealthCheckResponse | Error) => void): void {
    let finished = false;
    const finish = (outcome: HealthCheckResponse | Error) => {
      if (finished) return;
      finished = true;
      this.stream = undefined;
      if (!this.reuseConnection || outcome instanceof Error) this.dropSession();
      done(outcome);
    };
    const session = this.openSession();
    const stream = session.request(
      { ':method': head.method, ':path': head.path, ':authority': head.authority, ':scheme': 'http', ...head.headers },
      { endStream: head.body === undefined },
    );
    this.stream = stream;
    stream.on('error', (err) => finish(err));
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const collector = new BodyCollector(bodyLimit);
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => collector.add(chunk));
    stream.on('end', () =>
      finish({
        status: Number(headers[':status'] ?? 0),
        header: (name) => headerValue(headers[name]),
        body: collector.body,
        trailer: (name) => headerValue(trailers[name]) ?? headerValue(headers[name]),
      }),
    );
    stream.on('close', () => finish(new Error(`stream closed (code ${stream.rstCode ?? 0})`)));
    if (head.body !== undefined) stream.end(head.body);
  }

  abandon(): void {
    this.stream?.close();
    this.stream = undefined;
    this.dropSession();
  }

  close(): void {
    this.abandon();
  }

  private openSession(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(`http://${this.target.hostname(undefined)}`, { createConnection: () => healthCheckDuplex(this.target) as never });
    this.session = session;
    // Owned from birth: the stream in flight reports the failure; the session is not reused.
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on('error', forget);
    session.on('goaway', forget);
    return session;
  }

  private dropSession(): void {
    const session = this.session;
    this.session = undefined;
    session?.destroy();
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
