import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { maskVolatileHeaderLines } from './http-responses.js';

export type EndKind = 'open' | 'fin' | 'reset' | 'closed';

/** What one socket received and how its stream ended, in the form two runs can be compared. */
export interface StreamObservation {
  readonly bytes: number;
  readonly sha256: string;
  /** The first 64 bytes as text, to make a mismatch readable. */
  readonly head: string;
  readonly end: EndKind;
}

/** Records everything a socket receives and the way it ended. */
export class StreamRecord {
  private readonly chunks: Buffer[] = [];
  private length = 0;
  end: EndKind = 'open';
  /** The methods of the HTTP/1.x requests sent on the stream, in order (a HEAD's answer has no body). */
  readonly sentMethods: string[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.wake();
    });
    socket.on('end', () => this.finish('fin'));
    socket.on('error', (err: NodeJS.ErrnoException) => this.finish(err.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('close', () => this.finish('closed'));
  }

  get received(): number {
    return this.length;
  }

  text(): string {
    return this.bytes().toString();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Bytes, and a hash in which HTTP headers that vary per run (`date`, `x-request-id`) are masked. */
  observation(): StreamObservation {
    const data = Buffer.concat(this.chunks);
    return {
      bytes: data.length,
      sha256: createHash('sha256').update(maskVolatileHeaderLines(data)).digest('hex').slice(0, 16),
      head: data.subarray(0, 64).toString('latin1'),
      end: this.end,
    };
  }

  /** Resolves once `predicate` holds; checked on every byte and on the end. */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (predicate()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private finish(kind: EndKind): void {
    // The first sign wins: a FIN, then the close that follows it, is still a FIN.
    if (this.end === 'open') this.end = kind;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) waiter();
  }
}
