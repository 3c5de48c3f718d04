// Load generator, in its own process so it does not share the proxy's event loop.
//   bulk     <port> <seconds> <streams>             -> {bytes, seconds, gbps}
//   echo     <port> <seconds> <connections> <size>  -> {requests, rps, p50us, p99us}
//   connrate <port> <seconds> <concurrency>         -> {connections, cps}
//   http     <port> <seconds> <connections>         -> {requests, rps, p50us, p99us}
//   stall    <port> <seconds> <connections>         -> {accepted, rejected}: clients that never
//            read; after <seconds> to settle it reports, and holds them open until killed
//   handshake <port> <seconds> <concurrency> <resume 0|1> -> {connections, cps, resumed}: TLS
//            connect, 1 byte each way, close; with resume, each loop offers its last session
// `tls-bulk`, `tls-echo`, `tls-http` and `handshake` speak TLS (no verification: the bench
// measures, it does not authenticate).
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';

const [modeArgument = '', portText = '0', secondsText = '3', ...rest] = process.argv.slice(2);
const useTls = modeArgument.startsWith('tls-') || modeArgument === 'handshake';
const mode = modeArgument.replace(/^tls-/, '');
const port = Number(portText);
const durationMs = Number(secondsText) * 1000;

function open(session?: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = useTls
      ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'bench.local', ...(session ? { session } : {}) })
      : connect({ host: '127.0.0.1', port, noDelay: true });
    if (useTls) socket.setNoDelay(true);
    socket.once(useTls ? 'secureConnect' : 'connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Streams 64 KiB chunks for the duration, then half-closes; done when the sink's FIN returns. */
async function bulk(streams: number): Promise<object> {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const start = performance.now();
  let bytes = 0;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      const socket = await open();
      socket.resume();
      await new Promise<void>((resolve) => {
        const pump = () => {
          while (performance.now() - start < durationMs) {
            bytes += chunk.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        socket.once('end', () => resolve());
        socket.once('close', () => resolve());
        pump();
      });
      socket.destroy();
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { bytes, seconds, gbps: (bytes * 8) / seconds / 1e9 };
}

/** Tells whether the bytes received so far hold a whole response; called with each chunk. */
type ResponseReader = (chunk: Buffer) => boolean;

/**
 * Closed-loop request/response on `connections` connections: each sends `request`, waits for
 * a whole response (as `newReader` judges), records the latency, and sends again.
 */
async function closedLoop(connections: number, request: Buffer, newReader: () => ResponseReader): Promise<object> {
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = await open();
      await new Promise<void>((resolve) => {
        let reader = newReader();
        let sentAt = 0;
        const send = () => {
          if (performance.now() - start >= durationMs) {
            socket.destroy();
            resolve();
            return;
          }
          reader = newReader();
          sentAt = performance.now();
          socket.write(request);
        };
        socket.on('data', (data: Buffer) => {
          if (!reader(data)) return;
          latencies.push(performance.now() - sentAt);
          send();
        });
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
        send();
      });
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN) * 1000;
  return { requests: latencies.length, seconds, rps: latencies.length / seconds, p50us: at(0.5), p99us: at(0.99) };
}

/** Echo ping-pong: `size` bytes out, the same `size` back. */
function echo(connections: number, size: number): Promise<object> {
  return closedLoop(connections, Buffer.alloc(size, 1), () => {
    let pending = size;
    return (chunk) => (pending -= chunk.length) <= 0;
  });
}

/** Keep-alive `GET /` requests; a response is whole once its content-length body arrived. */
function httpGet(connections: number): Promise<object> {
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: bench.local\r\n\r\n');
  return closedLoop(connections, request, () => {
    let seen = '';
    return (chunk) => {
      seen += chunk.toString('latin1');
      const headEnd = seen.indexOf('\r\n\r\n');
      if (headEnd < 0) return false;
      const length = Number(/content-length: *(\d+)/i.exec(seen.slice(0, headEnd))?.[1] ?? 0);
      return seen.length >= headEnd + 4 + length;
    };
  });
}

/** New connections: connect, one byte each way, close; `concurrency` loops at once. */
async function connrate(concurrency: number): Promise<object> {
  const start = performance.now();
  let done = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < durationMs) {
        try {
          const socket = await open();
          await new Promise<void>((resolve) => {
            socket.once('data', () => socket.end());
            socket.once('close', () => resolve());
            socket.once('error', () => resolve());
            socket.write('x');
          });
          done++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { connections: done, failed, seconds, cps: done / seconds };
}

/** TLS handshakes: connect, 1 byte each way, close; with `resume`, each loop offers the last session it was given. */
async function handshakes(concurrency: number, resume: boolean): Promise<object> {
  const start = performance.now();
  let done = 0;
  let resumed = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      let session: Buffer | undefined;
      while (performance.now() - start < durationMs) {
        try {
          const socket = (await open(resume ? session : undefined)) as TLSSocket;
          if (socket.isSessionReused()) resumed++;
          socket.on('session', (ticket: Buffer) => (session = ticket));
          await new Promise<void>((resolve) => {
            socket.once('data', () => socket.end());
            socket.once('close', () => resolve());
            socket.once('error', () => resolve());
            socket.write('x');
          });
          done++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { connections: done, failed, resumed, seconds, cps: done / seconds };
}

/**
 * Opens connections that never read (50 at a time), lets the proxy settle, reports how many it
 * kept and how many it closed at once (an overload reject), then holds them until killed.
 */
async function stall(connections: number): Promise<object> {
  const held: Socket[] = [];
  let rejected = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, connections) }, async () => {
      while (next < connections) {
        next++;
        const socket = await open();
        socket.pause();
        socket.once('end', () => socket.bytesRead === 0 && rejected++);
        held.push(socket);
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  setInterval(() => {}, 60_000);
  return { accepted: held.length - rejected, rejected };
}

const result =
  mode === 'stall'
    ? await stall(Number(rest[0] ?? 1000))
    : mode === 'bulk'
    ? await bulk(Number(rest[0] ?? 1))
    : mode === 'echo'
      ? await echo(Number(rest[0] ?? 1), Number(rest[1] ?? 64))
      : mode === 'connrate'
        ? await connrate(Number(rest[0] ?? 50))
        : mode === 'http'
          ? await httpGet(Number(rest[0] ?? 1))
          : mode === 'handshake'
            ? await handshakes(Number(rest[0] ?? 50), rest[1] === '1')
            : { error: `unknown mode ${mode}` };
process.stdout.write(`${JSON.stringify(result)}\n`);
