// Any HTTP/1.1 byte stream (pipelined requests with bodies in either framing, then perhaps
// garbage) gets the same answers and puts the same requests upstream whether it arrives in one
// piece or split at arbitrary points across reads.
import { once } from 'node:events';
import fc from 'fast-check';
import t from 'tap';
import { collect, connectTo, httpProxyBootstrap, startHttpUpstream, startInProcess, type HttpUpstream, type TestLike } from '@nodevoy/test-kit';
import { checkProperty } from '../../../test-support/fuzz.js';

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const body = fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n', 'z', '0'), maxLength: 300 });
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
  path: fc.stringMatching(/^\/[a-z0-9/._~%-]{0,30}$/),
  headers: fc.array(fc.tuple(token.map((name) => `x-${name}`), fc.stringMatching(/^[ -~]{0,40}$/).map((v) => v.trim())), { maxLength: 4 }),
  body: fc.option(fc.record({ text: body, chunks: fc.option(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 5 })) })),
});
type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;

function encode(r: Request, last: boolean): string {
  const lines = [`${r.method} ${r.path} HTTP/1.1`, 'host: example.test', ...r.headers.map(([n, v]) => `${n}: ${v}`)];
  if (last) lines.push('connection: close');
  let payload = '';
  if (r.body) {
    const { text, chunks } = r.body;
    if (chunks) {
      lines.push('transfer-encoding: chunked');
      let at = 0;
      for (let i = 0; at < text.length; i++) {
        const size = Math.min(chunks[i % chunks.length]!, text.length - at);
        payload += `${size.toString(16)}\r\n${text.slice(at, at + size)}\r\n`;
        at += size;
      }
      payload += '0\r\n\r\n';
    } else {
      lines.push(`content-length: ${text.length}`);
      payload = text;
    }
  }
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}

const stream = fc
  .record({ requests: fc.array(request, { minLength: 1, maxLength: 3 }), garbage: fc.option(fc.constantFrom('GARBAGE\r\n\r\n', '\x00\x01', 'GET / HTTP/9\r\n\r\n')) })
  .map(({ requests, garbage }) => requests.map((r, i) => encode(r, i === requests.length - 1 && garbage === null)).join('') + (garbage ?? ''));

/** Sends `bytes` cut at `cuts`, letting the proxy read between pieces; what the client and upstream saw. */
async function observe(t: TestLike, port: number, upstream: HttpUpstream, bytes: Buffer, cuts: readonly number[]) {
  const seen = upstream.requests.length;
  const socket = await connectTo(t, port);
  const received = collect(socket);
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b).concat(bytes.length)) {
    if (cut <= from) continue;
    if (!socket.write(bytes.subarray(from, cut))) await once(socket, 'drain');
    from = cut;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { data } = await received;
  const answers = data
    .toString('latin1')
    .replace(/^(date|x-envoy-upstream-service-time): .*\r\n/gim, '')
    .split(/(?=HTTP\/1\.1 \d{3} )/);
  const forwarded = upstream.requests.slice(seen).map((r) => `${r.method} ${r.url} ${JSON.stringify(Object.entries(r.headers).filter(([n]) => n.startsWith('x-') && n !== 'x-request-id' && n !== 'x-forwarded-proto'))} ${r.body}`);
  return { answers, forwarded };
}

t.test('a request stream split at any points parses as in one piece', async (t) => {
  const upstream = await startHttpUpstream(t);
  const proxy = await startInProcess(t, httpProxyBootstrap([{ port: upstream.port }]));
  const port = proxy.port('http');
  await checkProperty(
    'http1 split',
    fc.asyncProperty(stream, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), async (text, cuts) => {
      const bytes = Buffer.from(text, 'latin1');
      const whole = await observe(t, port, upstream, bytes, []);
      const split = await observe(t, port, upstream, bytes, cuts);
      if (JSON.stringify(whole) !== JSON.stringify(split)) throw new Error(`whole: ${JSON.stringify(whole)}\nsplit: ${JSON.stringify(split)}`);
    }),
    20,
  );
});
