import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TestLike } from './test-like.js';

export interface TcpServer {
  readonly server: Server;
  readonly port: number;
  /** Sockets accepted so far, in order. */
  readonly sockets: Socket[];
  /** Resolves with the n-th accepted socket (0-based) once it is accepted. */
  accepted(n: number): Promise<Socket>;
}

/**
 * A TCP server on 127.0.0.1 with half-close allowed; `onSocket` decides what it does. Port 0
 * unless a config the test cannot change names a fixed one.
 */
export async function startTcpServer(t: TestLike, onSocket: (socket: Socket) => void = () => {}, port = 0): Promise<TcpServer> {
  const sockets: Socket[] = [];
  const waiters = new Map<number, (s: Socket) => void>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    waiters.get(sockets.length - 1)?.(socket);
    onSocket(socket);
  });
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    sockets,
    accepted: (n) => (sockets[n] ? Promise.resolve(sockets[n] as Socket) : new Promise((resolve) => waiters.set(n, resolve))),
  };
}

/** An upstream that echoes every byte and echoes a FIN with a FIN. */
export function startEchoServer(t: TestLike, port = 0): Promise<TcpServer> {
  return startTcpServer(
    t,
    (socket) => {
      socket.pipe(socket);
    },
    port,
  );
}

/** An upstream that answers each chunk with `tag` and the chunk (a reply names its upstream), and a FIN with a FIN. */
export function startTaggedEchoServer(t: TestLike, tag: string, port = 0): Promise<TcpServer> {
  return startTcpServer(
    t,
    (socket) => {
      socket.on('data', (chunk: Buffer) => socket.write(Buffer.concat([Buffer.from(tag), chunk])));
      socket.on('end', () => socket.end());
    },
    port,
  );
}

/**
 * Sends `text` on a new connection and returns the first `replyLength` bytes back, or how the
 * connection failed (`ECONNREFUSED`, or the close of one silent for 10 s).
 */
export async function askOnce(t: TestLike, port: number, text: string, replyLength: number): Promise<string> {
  let failure: string | undefined;
  try {
    const socket = await connectTo(t, port);
    socket.on('error', (err: NodeJS.ErrnoException) => (failure ??= err.code ?? err.message));
    socket.setTimeout(10_000, () => socket.destroy());
    const reply = readBytes(socket, replyLength);
    socket.write(text);
    const bytes = (await reply).toString();
    socket.destroy();
    return bytes;
  } catch (err) {
    return failure ?? (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/** Connects to 127.0.0.1:port with half-close allowed. */
export async function connectTo(t: TestLike, port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  t.teardown(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

export interface Received {
  readonly data: Buffer;
  /** How the stream ended: the peer's FIN, a reset, or a close without either (already closed). */
  readonly end: 'fin' | 'reset' | 'close';
}

/** Collects everything a socket receives until it ends, and how it ended. */
export function collect(socket: Socket): Promise<Received> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let end: Received['end'] | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      end ??= 'fin';
      resolve({ data: Buffer.concat(chunks), end });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      end ??= err.code === 'ECONNRESET' ? 'reset' : 'close';
    });
    socket.once('close', () => resolve({ data: Buffer.concat(chunks), end: end ?? 'close' }));
  });
}

/** Reads until `n` bytes arrived. */
export function readBytes(socket: Socket, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= n) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => length < n && reject(new Error(`socket closed after ${length} of ${n} bytes`)));
  });
}

/** Whether a connection to 127.0.0.1:`port` is refused. */
function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/**
 * Ports below 1024 that nothing should listen on: never handed out as ephemeral ports, so no
 * server that another test starts meanwhile can take one (a port bound and closed again can be).
 * Handed out in turn, so that two refusing hosts of one cluster are two hosts.
 */
const RESERVED_PORTS = [1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
let nextReserved = 0;

/** A port nothing listens on: connecting to it is refused, for as long as the test runs. */
export async function closedPort(): Promise<number> {
  for (let tried = 0; tried < RESERVED_PORTS.length; tried++) {
    const port = RESERVED_PORTS[nextReserved++ % RESERVED_PORTS.length] as number;
    if (await refuses(port)) return port;
  }
  // Something listens on all of them: a port bound once, then closed.
  return freePort();
}

/** A port free to bind now (bound once, then closed): for a listener a config names before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A server whose TCP handshake never completes: a child process listens with a backlog of 1,
 * prints its port and blocks its event loop in the same callback (an `Atomics.wait`, so without
 * spinning a core), so it never accepts. Linux queues backlog + 1 connections; two fillers take
 * those places, after which every SYN is dropped and a connect attempt only ends by timing out.
 */
export async function startHungServer(): Promise<{ readonly port: number; close(): void }> {
  const script =
    "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    "require('fs').writeSync(1,s.address().port+'\\n');Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0)})";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  const fillers = Array.from({ length: 4 }, () => connect({ host: '127.0.0.1', port }).on('error', () => {}));
  await Promise.all(fillers.slice(0, 2).map((filler) => once(filler, 'connect')));
  return {
    port,
    close() {
      for (const filler of fillers) filler.destroy();
      child.kill('SIGKILL');
    },
  };
}
