// The HTTP/2 inbound frame guard, in-process: whatever way the client's bytes are split across
// reads, node:http2 gets exactly the client's frames minus the PING ACKs (which it would answer
// by closing the connection), in order and unchanged.
import fc from 'fast-check';
import t from 'tap';
import { Http2InboundGuard } from '../src/codec/http2-inbound-guard.js';
import { checkProperty } from '../../../test-support/fuzz.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

const ping = (ack: boolean) => frame(0x6, ack ? 0x1 : 0, 0, Buffer.from('h2spec  '));
const arbitraryFrame = fc.oneof(
  fc.constant({ bytes: ping(true), kept: false }),
  fc.constant({ bytes: ping(false), kept: true }),
  fc
    .record({ type: fc.constantFrom(0x0, 0x1, 0x3, 0x4, 0x8, 0x9), flags: fc.integer({ min: 0, max: 255 }), stream: fc.integer({ min: 0, max: 99 }), payload: fc.uint8Array({ maxLength: 300 }) })
    .map(({ type, flags, stream, payload }) => ({ bytes: frame(type, flags, stream, Buffer.from(payload)), kept: true })),
);

function run(stream: Buffer, cuts: number[]): Buffer {
  const guard = new Http2InboundGuard();
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b).concat(stream.length)) {
    out.push(...guard.filter(stream.subarray(from, cut)));
    from = cut;
  }
  return Buffer.concat(out);
}

t.test('PING ACKs are taken out, every other byte passes in order, however the reads split', async () => {
  await checkProperty(
    'http2 inbound guard',
    fc.property(fc.array(arbitraryFrame, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 12 }), (frames, rawCuts) => {
      const stream = Buffer.concat([PREFACE, ...frames.map((f) => f.bytes)]);
      const expected = Buffer.concat([PREFACE, ...frames.filter((f) => f.kept).map((f) => f.bytes)]);
      const cuts = rawCuts.map((n) => n % (stream.length + 1));
      return run(stream, cuts).equals(expected);
    }),
    500,
  );
});

t.test('with nothing to take out, a read is passed on as the very buffer', (t) => {
  const guard = new Http2InboundGuard();
  guard.filter(PREFACE);
  const read = Buffer.concat([ping(false), frame(0x0, 0x1, 1, Buffer.from('data'))]);
  const out = guard.filter(read);
  t.equal(out.length, 1);
  t.equal(out[0], read, 'no copy on the common path');
  t.end();
});
