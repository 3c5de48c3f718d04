import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Admin } from './admin.js';
import type { Step, TlsClient } from './scenario.js';
import { completeResponses, requestMethods } from './http-responses.js';
import { StreamRecord } from './stream-record.js';
import type { Upstream } from './upstreams.js';

const STEP_TIMEOUT_MS = 10_000;

/** Deterministic payload bytes, so both runs send exactly the same data. */
export function pattern(length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = i % 251;
  return out;
}

/** How a TLS client's handshake went: what a user of the client can see of it. */
export interface TlsOutcome {
  readonly established: boolean;
  readonly alpn: string;
  readonly version: string;
  /** The subject of the certificate the listener served. */
  readonly served: string;
}

/** Runs a scenario's client steps against one proxy; names connections for observation. */
export class Traffic {
  readonly connections = new Map<string, StreamRecord>();
  readonly tls = new Map<string, TlsOutcome>();

  constructor(
    private readonly admin: Admin,
    private readonly listenerPorts: ReadonlyMap<string, number>,
    private readonly upstreams: ReadonlyMap<string, Upstream>,
    private readonly pki: string,
  ) {}

  async run(steps: readonly Step[]): Promise<void> {
    for (const [i, step] of steps.entries()) {
      const name = Object.keys(step)[0] ?? '?';
      await withTimeout(this.runStep(step), `step ${i + 1} (${name}) did not complete in ${STEP_TIMEOUT_MS / 1000} s`);
    }
  }

  /** Client connections not yet closed on the client's side. */
  openConnections(): number {
    let open = 0;
    for (const record of this.connections.values()) if (!record.socket.destroyed) open++;
    return open;
  }

  close(): void {
    for (const record of this.connections.values()) record.socket.destroy();
  }

  private async runStep(step: Step): Promise<void> {
    if ('connect' in step) {
      const port = this.listenerPorts.get(step.connect.listener);
      if (port === undefined) throw new Error(`no TCP listener named ${step.connect.listener}`);
      const tls = step.connect.tls;
      const socket = tls ? this.tlsClient(step.connect.conn, port, tls) : connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      const record = new StreamRecord(socket);
      this.connections.set(step.connect.conn, record);
      await Promise.race([once(socket, tls ? 'secureConnect' : 'connect'), record.until(() => record.end !== 'open')]);
    } else if ('send' in step) {
      const record = this.record(step.send.conn);
      if (step.send.text !== undefined) record.sentMethods.push(...requestMethods(step.send.text));
      record.socket.write(step.send.text !== undefined ? Buffer.from(step.send.text.repeat(step.send.repeat ?? 1), step.send.encoding ?? 'utf8') : pattern(step.send.bytes ?? 0));
    } else if ('shutdown' in step) {
      this.socket(step.shutdown).end();
    } else if ('reset' in step) {
      this.socket(step.reset).resetAndDestroy();
    } else if ('pause' in step) {
      this.socket(step.pause).pause();
    } else if ('resume' in step) {
      this.socket(step.resume).resume();
    } else if ('wait_bytes' in step) {
      const record = this.record(step.wait_bytes.conn);
      await record.until(() => record.received >= step.wait_bytes.bytes || record.end !== 'open');
    } else if ('wait_text' in step) {
      const record = this.record(step.wait_text.conn);
      await record.until(() => record.text().includes(step.wait_text.text) || record.end !== 'open');
    } else if ('wait_end' in step) {
      const record = this.record(step.wait_end);
      await record.until(() => record.end !== 'open');
    } else if ('wait_upstream_end' in step) {
      const { upstream, index } = step.wait_upstream_end;
      await poll(() => (this.upstreamRecord(upstream, index)?.end ?? 'open') !== 'open');
    } else if ('wait_upstream_bytes' in step) {
      const { upstream, index, bytes } = step.wait_upstream_bytes;
      await poll(() => (this.upstreamRecord(upstream, index)?.received ?? 0) >= bytes);
    } else if ('wait_responses' in step) {
      const record = this.record(step.wait_responses.conn);
      await record.until(() => completeResponses(record.bytes(), record.sentMethods) >= step.wait_responses.count || record.end !== 'open');
    } else if ('wait_stat' in step) {
      const { name, at_least } = step.wait_stat;
      await poll(async () => ((await this.admin.stats()).get(name) ?? -Infinity) >= at_least);
    } else if ('admin_post' in step) {
      await this.admin.post(step.admin_post);
    }
  }

  /** A TLS client that verifies nothing itself: the handshake's outcome is what is observed. */
  private tlsClient(conn: string, port: number, options: TlsClient): TLSSocket {
    const file = (name: string) => readFileSync(join(this.pki, name));
    const socket = tlsConnect({
      // Half-close allowed, as for a plain client: TLS runs over this socket.
      socket: connect({ host: '127.0.0.1', port, allowHalfOpen: true }),
      rejectUnauthorized: false,
      ...(options.servername ? { servername: options.servername } : {}),
      ...(options.alpn ? { ALPNProtocols: [...options.alpn] } : {}),
      ...(options.cert ? { cert: file(`${options.cert}.crt`), key: file(`${options.cert}.key`) } : {}),
    });
    this.tls.set(conn, { established: false, alpn: '', version: '', served: '' });
    socket.once('secureConnect', () => {
      this.tls.set(conn, {
        established: true,
        alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '',
        version: socket.getProtocol() ?? '',
        served: socket.getPeerX509Certificate()?.subject ?? '',
      });
    });
    return socket;
  }

  private record(conn: string): StreamRecord {
    const record = this.connections.get(conn);
    if (!record) throw new Error(`no connection ${conn}`);
    return record;
  }

  /** The upstream's `index`th accepted connection, once it has been accepted. */
  private upstreamRecord(name: string, index = 0): StreamRecord | undefined {
    const upstream = this.upstreams.get(name);
    if (!upstream) throw new Error(`no upstream ${name}`);
    return upstream.connections[index];
  }

  private socket(conn: string): Socket {
    return this.record(conn).socket;
  }
}

/** Polls a condition about the outside world (another process's stats) until it holds. */
export async function poll(condition: () => boolean | Promise<boolean>, timeoutMs = STEP_TIMEOUT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

async function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), STEP_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}
