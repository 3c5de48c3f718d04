// The soak's clients, one loop per kind: HTTP/1.1 and HTTP/2 requests with bodies both ways
// (straight to the upstream and through the encap -> decap chain), HTTP/1.1 CONNECT tunnels and
// raw TCP through the seed topology. Each exchange is checked end to end by checksum; faults are
// asked of the upstream (reset mid-body, stall) and made by the client (abort, vanish).
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { bodyFor, sha256 } from './chaos-upstreams.js';
import type { Mark, Tally } from './tally.js';

const MAX_BODY = 256 * 1024;
/** Longer than the route timeout and the connect timeout together: past it an exchange hung. */
const EXCHANGE_DEADLINE_MS = 8000;

interface Plan {
  readonly path: string;
  readonly upload: Buffer;
  readonly seed: number;
  readonly size: number;
  readonly fault: 'none' | 'reset' | 'stall';
  /** The client gives up half-way through its upload. */
  readonly abort: boolean;
}

function plan(route: '/' | '/chain'): Plan {
  const roll = randomInt(100);
  const fault = roll < 6 ? 'reset' : roll < 8 ? 'stall' : 'none';
  const seed = randomInt(1, 2 ** 31);
  const size = randomInt(MAX_BODY);
  return {
    path: `${route === '/' ? '/direct' : '/chain'}?seed=${seed}&size=${size}&fault=${fault}`,
    upload: randomBytes(randomInt(MAX_BODY)),
    seed,
    size,
    fault,
    abort: randomInt(100) < 4,
  };
}

/** Checks a completed 200 against the plan: the upstream got the upload, the client the answer. */
function verify(tally: Tally, kind: string, p: Plan, upstreamDigest: string | undefined, received: Buffer): void {
  if (upstreamDigest !== sha256(p.upload)) tally.violation(`${kind} ${p.path}: the upstream received a different body`);
  else if (sha256(received) !== sha256(bodyFor(p.seed, p.size))) tally.violation(`${kind} ${p.path}: a 200 with a different body (${received.length} of ${p.size} bytes)`);
  else tally.ok(p.upload.length + received.length);
}

function classifyStatus(tally: Tally, kind: string, status: number, fault: Plan['fault'], since: Mark): void {
  const explained = (fault === 'stall' && status === 504) || tally.chaosSince(since) || (fault === 'reset' && status >= 500);
  tally.outcome(`${kind} ${status}`, explained);
}

export async function http1Loop(port: number, tally: Tally, running: () => boolean, route: '/' | '/chain'): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  while (running()) await http1Exchange(port, agent, tally, plan(route));
  agent.destroy();
}

function http1Exchange(port: number, agent: Agent, tally: Tally, p: Plan): Promise<void> {
  const kind = `http1 ${p.path.split('?')[0]}`;
  const since = tally.mark('http');
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: p.path, method: 'POST', agent, headers: { 'content-length': p.upload.length } });
    const deadline = setTimeout(() => {
      tally.outcome(`${kind} hung`, false);
      req.destroy();
    }, EXCHANGE_DEADLINE_MS);
    const done = () => {
      clearTimeout(deadline);
      resolve();
    };
    req.on('error', () => {
      if (!p.abort) tally.outcome(`${kind} reset`, p.fault === 'reset' || tally.chaosSince(since));
      done();
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', () => {});
      response.on('close', () => {
        if (response.statusCode !== 200) classifyStatus(tally, kind, response.statusCode ?? 0, p.fault, since);
        else if (!response.complete) tally.outcome(`${kind} reset mid-body`, p.fault === 'reset' || tally.chaosSince(since));
        else verify(tally, kind, p, response.headers['x-body-sha256'] as string | undefined, Buffer.concat(chunks));
        done();
      });
    });
    if (p.abort) {
      req.write(p.upload.subarray(0, p.upload.length >> 1), () => {
        tally.outcome(`${kind} client abort`, true);
        req.destroy();
      });
    } else req.end(p.upload);
  });
}

export async function http2Loop(port: number, tally: Tally, running: () => boolean, streams: number): Promise<void> {
  let session: ClientHttp2Session | undefined;
  const sessionNow = () => {
    if (!session || session.destroyed || session.closed) {
      session = http2Connect(`http://127.0.0.1:${port}`);
      session.on('error', () => {});
    }
    return session;
  };
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      while (running()) await http2Exchange(sessionNow(), tally, plan(i % 2 === 0 ? '/' : '/chain'));
    }),
  );
  session?.close();
}

function http2Exchange(session: ClientHttp2Session, tally: Tally, p: Plan): Promise<void> {
  const kind = `http2 ${p.path.split('?')[0]}`;
  const since = tally.mark('http');
  return new Promise((resolve) => {
    const stream = session.request({ ':method': 'POST', ':path': p.path, 'content-length': String(p.upload.length) });
    const deadline = setTimeout(() => {
      tally.outcome(`${kind} hung`, false);
      // Not close(): on a session that stopped answering, the RST it queues may never go out.
      stream.destroy();
    }, EXCHANGE_DEADLINE_MS);
    let status = 0;
    let digest: string | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
      digest = headers['x-body-sha256'] as string | undefined;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => {});
    stream.on('close', () => {
      clearTimeout(deadline);
      if (p.abort) tally.outcome(`${kind} client reset`, true);
      else if (stream.rstCode !== 0 && status === 0) tally.outcome(`${kind} reset (code ${stream.rstCode}, session ${session.destroyed ? "gone" : "up"})`, p.fault === "reset" || tally.chaosSince(since) || session.destroyed);
      else if (status !== 200) classifyStatus(tally, kind, status, p.fault, since);
      else if (stream.rstCode !== 0) tally.outcome(`${kind} reset mid-body`, p.fault === 'reset' || tally.chaosSince(since));
      else verify(tally, kind, p, digest, Buffer.concat(chunks));
      resolve();
    });
    if (p.abort) stream.write(p.upload.subarray(0, p.upload.length >> 1), () => stream.close(0x8));
    else stream.end(p.upload);
  });
}

/** Sends random bytes over a byte stream, half-closes, and checks the echo. */
async function echoCheck(tally: Tally, kind: string, stream: Duplex, since: Mark): Promise<void> {
  const payload = randomBytes(randomInt(1, MAX_BODY));
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  let failed = false;
  stream.on('error', () => (failed = true));
  // Not events.once: it rejects on 'error', and a reset is an outcome here, not a failure.
  const closed = new Promise((resolve) => stream.once('close', resolve));
  stream.end(payload);
  const deadline = setTimeout(() => {
    tally.outcome(`${kind} hung`, false);
    stream.destroy();
  }, EXCHANGE_DEADLINE_MS);
  await closed;
  clearTimeout(deadline);
  const echoed = Buffer.concat(chunks);
  if (!failed && echoed.equals(payload)) tally.ok(payload.length * 2);
  else if (tally.chaosSince(since)) tally.outcome(`${kind} cut`, true);
  else if (failed) tally.outcome(`${kind} reset`, false);
  else tally.violation(`${kind}: a clean end with ${echoed.length} of ${payload.length} bytes echoed, or different bytes`);
}

export async function tcpLoop(port: number, tally: Tally, running: () => boolean): Promise<void> {
  while (running()) {
    const since = tally.mark('echo');
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    if (randomInt(100) < 4) {
      // A client that vanishes: connects, sends a little, resets.
      socket.on('error', () => {});
      await once(socket, 'connect').catch(() => undefined);
      socket.write(randomBytes(1024));
      socket.resetAndDestroy();
      tally.outcome('tcp client vanished', true);
      continue;
    }
    await echoCheck(tally, 'tcp', socket, since);
  }
}

export async function connectLoop(port: number, tally: Tally, running: () => boolean): Promise<void> {
  while (running()) {
    const since = tally.mark('echo');
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'CONNECT', path: 'echo.test:443', agent: false });
      const deadline = setTimeout(() => {
        tally.outcome('connect hung', false);
        req.destroy();
      }, EXCHANGE_DEADLINE_MS);
      req.on('close', () => clearTimeout(deadline));
      req.on('error', () => {
        tally.outcome('connect refused or reset', tally.chaosSince(since));
        resolve();
      });
      req.on('response', (response) => {
        classifyStatus(tally, 'connect', response.statusCode ?? 0, 'none', since);
        response.resume();
        resolve();
      });
      req.on('connect', (response, socket) => {
        if (response.statusCode !== 200) {
          classifyStatus(tally, 'connect', response.statusCode ?? 0, 'none', since);
          socket.destroy();
          resolve();
          return;
        }
        void echoCheck(tally, 'connect', socket, since).then(resolve);
      });
      req.end();
    });
  }
}
