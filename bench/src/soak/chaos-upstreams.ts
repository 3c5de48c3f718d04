// The soak's upstreams, in the soak's own process so it can be cruel to them: an HTTP/1.1 server
// that reports the digest of every body it received and answers a body of the asked size (or
// resets half-way, or never answers), and a TCP echo server. Both can be killed (every
// connection destroyed, the port closed) and restarted on the same port.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';

/** The bytes of a response body the client can recompute: `size` bytes from `seed`. */
export function bodyFor(seed: number, size: number): Buffer {
  const body = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    body[i] = x & 0xff;
  }
  return body;
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A server that can be killed and brought back on its port. */
export class Killable {
  private readonly sockets = new Set<Socket>();
  private listening = false;

  constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<void> {
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.listening = true;
  }

  /** Every connection destroyed at once (a crash as the proxy sees it), the port closed. */
  kill(): void {
    if (!this.listening) return;
    this.listening = false;
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

export class HttpChaosUpstream extends Killable {
  constructor(port: number) {
    const server = createHttpServer((request, response) => answer(request, response));
    server.keepAliveTimeout = 2000;
    super(server, port);
  }
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://upstream');
  const hash = createHash('sha256');
  request.on('data', (chunk: Buffer) => hash.update(chunk));
  request.on('error', () => {});
  request.on('end', () => {
    const fault = url.searchParams.get('fault');
    if (fault === 'stall') return; // the route's timeout answers for us
    const body = bodyFor(Number(url.searchParams.get('seed')), Number(url.searchParams.get('size')));
    response.writeHead(200, { 'content-length': body.length, 'x-body-sha256': hash.digest('hex') });
    if (fault === 'reset') {
      response.write(body.subarray(0, body.length >> 1), () => request.socket.destroy());
      return;
    }
    response.end(body);
  });
}

export class EchoChaosUpstream extends Killable {
  constructor(port: number) {
    super(
      createTcpServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket)),
      port,
    );
  }
}
