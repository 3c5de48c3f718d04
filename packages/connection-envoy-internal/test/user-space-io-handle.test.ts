// The user-space socket pair, against the cases of Envoy's io_handle_impl_test.cc
// (spec: shared/spec/internal-listener.md §2.5-2.8 and §4.F).
import t from 'tap';
import { internalAddress, type IoHandleCallbacks, type TransportClosed } from '@nodevoy/core';
import { createSocketPair, type UserSpaceIoHandle } from '@nodevoy/connection-envoy-internal';

class Recorder implements IoHandleCallbacks {
  readonly chunks: Buffer[] = [];
  events: string[] = [];
  closed: TransportClosed | undefined;
  onConnected() {
    this.events.push('connected');
  }
  onData(chunk: Buffer) {
    this.chunks.push(chunk);
    this.events.push(`data:${chunk.length}`);
  }
  onEndOfStream() {
    this.events.push('eof');
  }
  onWriteDrained() {
    this.events.push('drained');
  }
  onClosed(closed: TransportClosed) {
    this.closed = closed;
    this.events.push(closed.reset ? 'reset' : 'closed');
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

/** Lets queued microtask deliveries run; the pair delivers on microtasks, never inline. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function pair(highWatermark = 1024 * 1024): { client: UserSpaceIoHandle; server: UserSpaceIoHandle; c: Recorder; s: Recorder } {
  const { client, server } = createSocketPair(internalAddress('listener', 'endpoint'), highWatermark);
  const c = new Recorder();
  const s = new Recorder();
  client.setCallbacks(c);
  server.setCallbacks(s);
  return { client, server, c, s };
}

t.test('addresses are those Envoy gives each end', async (t) => {
  const { client, server } = pair();
  t.equal(client.localAddress.asString, 'envoy://internal_client_address/');
  t.equal(client.remoteAddress.asString, 'envoy://listener/endpoint');
  t.equal(server.localAddress.asString, 'envoy://listener/endpoint');
  t.equal(server.remoteAddress.asString, 'envoy://internal_client_address/');
});

t.test('connect succeeds on the next turn, and bytes flow both ways', async (t) => {
  const { client, server, c, s } = pair();
  client.connect();
  t.same(c.events, [], 'not connected synchronously');
  await settle();
  t.same(c.events, ['connected']);
  client.write(Buffer.from('0123456789'));
  t.same(s.events, [], 'a write never re-enters the reader');
  await settle();
  t.equal(s.text, '0123456789');
  server.write(Buffer.from('back'));
  await settle();
  t.equal(c.text, 'back');
});

t.test('bytes cross the pair by reference, not by copy', async (t) => {
  const { client, server: _server, s } = pair();
  client.connect();
  const payload = Buffer.from('zero-copy');
  client.write(payload);
  await settle();
  t.equal(s.chunks[0], payload, 'the reader gets the very buffer the writer wrote');
});

t.test('connecting to a closed peer fails instead of connecting', async (t) => {
  const { client, server, c } = pair();
  server.close('now');
  client.connect();
  await settle();
  t.same(c.events, ['closed']);
  t.equal(c.closed?.reset, false);
});

t.test('half-close: EOF after the data, and the other direction still works', async (t) => {
  const { client, server, c, s } = pair();
  client.connect();
  client.write(Buffer.from('abcd'));
  client.shutdownWrite();
  client.shutdownWrite(); // repeated shutdown is a no-op (RepeatedShutdownWR)
  await settle();
  t.same(s.events, ['data:4', 'eof']);
  server.write(Buffer.from('still open'));
  await settle();
  t.equal(c.text, 'still open', 'ReadAfterShutdownWrite: the side that shut down still reads');
  client.write(Buffer.from('late'));
  await settle();
  t.equal(s.text, 'abcd', 'writes after shutdown are refused');
});

t.test('close before the EOF exchange: the peer reads what was sent, then a reset (Envoy 2026)', async (t) => {
  const { client, server, c, s } = pair();
  client.connect();
  await settle();
  server.write(Buffer.from('abcd'));
  server.close('now');
  await settle();
  t.same(c.events, ['connected', 'data:4', 'reset'], 'the data first, then ECONNRESET, no EOF');
  client.write(Buffer.from('to nobody'));
  t.equal(client.pendingWriteBytes, 0, 'writes to a closed peer are dropped, not queued');
  t.same(s.events, [], 'no callback after close');
});

t.test('close after both sides sent EOF: a clean close', async (t) => {
  const { client, server, c } = pair();
  client.connect();
  await settle();
  client.shutdownWrite();
  await settle();
  server.write(Buffer.from('last'));
  server.close('now');
  await settle();
  t.same(c.events, ['connected', 'data:4', 'eof', 'closed']);
  t.equal(c.closed?.reset, false);
});

t.test('reset: unread bytes are lost and the peer sees a reset at once', async (t) => {
  const { client, server, c } = pair();
  client.connect();
  await settle();
  client.setReadEnabled(false);
  server.write(Buffer.from('never read'));
  server.close('reset');
  await settle();
  t.same(c.events, ['connected', 'reset'], 'reported even while reading is disabled, as an RST');
  t.equal(c.chunks.length, 0);
});

t.test('flow control: a full receive buffer holds the writer back until the reader drains to half', async (t) => {
  const H = 128;
  const { client, server, c } = pair(H);
  client.connect();
  await settle();
  client.setReadEnabled(false);
  server.setDrainThreshold(0);
  server.write(Buffer.alloc(256, 1));
  t.equal(client.receivedBytes, 256, 'one write may overshoot the watermark (Envoy moves up to 16 KiB)');
  server.write(Buffer.alloc(300, 2));
  t.equal(server.pendingWriteBytes, 300, 'above the high watermark the peer accepts nothing more');
  client.setReadEnabled(true);
  await settle();
  await settle();
  t.equal(Buffer.concat(c.chunks).length, 556, 'everything arrives once the reader reads');
  t.equal(server.pendingWriteBytes, 0);
});

t.test('PartialWrite: Envoy moves max(16384, H - length) bytes per step and stops above H', async (t) => {
  const H = 16385;
  const { client, server } = pair(H);
  client.connect();
  await settle();
  client.setReadEnabled(false);
  server.write(Buffer.alloc(64 * 1024));
  t.equal(client.receivedBytes, 16385 + 16384, 'first 16385 (still not above H), then one more 16384');
  t.equal(server.pendingWriteBytes, 64 * 1024 - 32769);
});

t.test('the writer hears when its pending bytes drain', async (t) => {
  const H = 1024;
  const { client, server, s } = pair(H);
  client.connect();
  await settle();
  client.setReadEnabled(false);
  server.setDrainThreshold(100);
  server.write(Buffer.alloc(20_000));
  server.write(Buffer.alloc(5_000));
  t.ok(server.pendingWriteBytes > 100);
  client.setReadEnabled(true);
  await settle();
  await settle();
  t.equal(server.pendingWriteBytes, 0);
  t.same(
    s.events.filter((e) => e === 'drained'),
    ['drained'],
    'one notification when pending bytes fell to the threshold',
  );
});

t.test('a flush-close waits for pending bytes to reach the peer, then reports it finished', async (t) => {
  const H = 64;
  const { client, server, c, s } = pair(H);
  client.connect();
  await settle();
  client.setReadEnabled(false);
  server.write(Buffer.alloc(20_000, 7));
  server.close('flush');
  t.notOk(server.isClosed, 'still flushing');
  client.setReadEnabled(true);
  for (let i = 0; i < 5; i++) await settle();
  t.equal(Buffer.concat(c.chunks).length, 20_000, 'nothing was dropped');
  t.same(c.events.slice(-1), ['reset'], 'closed without the EOF exchange: the peer sees a reset after the data');
  t.same(s.events, ['drained', 'closed'], 'the owner hears its bytes drained, then that the flush-close completed');
  t.ok(server.isClosed);
});
