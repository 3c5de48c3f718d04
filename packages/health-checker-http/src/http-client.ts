/** One health check request, as the checker builds it. */
export interface HealthCheckRequest {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  /** Lower-case names (a list for a repeated header), besides the pseudo-headers and `host`. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body?: Buffer;
}

export interface HealthCheckResponse {
  readonly status: number;
  header(name: string): string | undefined;
  /** The first `bodyLimit` bytes of the body. */
  readonly body: Buffer;
  /** gRPC's trailers (HTTP/2 only). */
  trailer(name: string): string | undefined;
}

/** Talks HTTP to one host for its checks, over a connection it keeps between checks or not. */
export interface HealthCheckHttpClient {
  /** Sends one request; `done` gets the whole response, or the error that ended the exchange. */
  send(request: HealthCheckRequest, bodyLimit: number, done: (outcome: HealthCheckResponse | Error) => void): void;
  /** Drops the request in flight and its connection (a timeout). */
  abandon(): void;
  close(): void;
}

/** Collects up to `limit` bytes of a body. */
export class BodyCollector {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    if (this.size >= this.limit) return;
    const take = chunk.subarray(0, this.limit - this.size);
    this.chunks.push(take);
    this.size += take.length;
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
