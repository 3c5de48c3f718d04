import { randomBytes } from 'node:crypto';

/** A random non-zero id of `bytes` bytes in lower-case hex (trace ids 16 or 8 bytes, span ids 8). */
export function randomTraceId(bytes: 8 | 16): string {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(id)) return id;
  }
}
