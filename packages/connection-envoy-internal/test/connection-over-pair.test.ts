// core's Connection (filters, read-disable, watermarks, half-close, close kinds) run over the
// in-process pair: the same semantics filters get on a kernel socket.
import t from 'tap';
import {
  Connection,
  ConnectionInfo,
  internalAddress,
  Logger,
  workerContext,
  type ConnectionEvent,
  type FilterStatus,
  type ReadFilter,
  type ReadFilterCallbacks,
} from '@nodevoy/core';
import { createSocketPair } from '@nodevoy/connection-envoy-internal';

const settle = async (turns = 3) => {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

const logLines: string[] = [];
const log = Logger.create('debug', { write: (line) => void logLines.push(line) });

function connections(options: { bufferLimit?: number; pairBuffer?: number } = {}) {
  const { client, server } = createSocketPair(internalAddress('l'), options.pairBuffer ?? 1024 * 1024);
  let id = 0;
  const make = (io: typeof client, connecting: boolean) =>
    new Connection({ id: ++id, io, info: new ConnectionInfo(), bufferLimit: options.bufferLimit ?? 1024 * 1024, log, connecting, worker: workerContext(0) });
  const c = make(client, true);
  const s = make(server, false);
  const events = { client: [] as ConnectionEvent[], server: [] as ConnectionEvent[] };
  c.addConnectionCallbacks({ onEvent: (e) => void events.client.push(e) });
  s.addConnectionCallbacks({ onEvent: (e) => void events.server.push(e) });
  return { c, s, events };
}

/** A read filter that records what it sees. */
function recorder(name: string, log: string[], statuses: { init?: FilterStatus; data?: FilterStatus } = {}): ReadFilter & { callbacks?: ReadFilterCallbacks } {
  const filter: ReadFilter & { callbacks?: ReadFilterCallbacks } = {
    initializeReadFilterCallbacks: (cb) => void (filter.callbacks = cb),
    onNewConnection: () => {
      log.push(`${name}.init`);
      return statuses.init ?? 'continue';
    },
    onData: (data, end) => {
      log.push(`${name}.data(${data.toString()}${end ? ',end' : ''})`);
      return statuses.data ?? 'continue';
    },
  };
  return filter;
}

t.test('read filters run in order; a filter that stops owns the chunk', async (t) => {
  const { c, s } = connections();
  const seen: string[] = [];
  s.addReadFilter(recorder('a', seen));
  s.addReadFilter(recorder('b', seen, { data: 'stop' }));
  s.addReadFilter(recorder('c', seen));
  t.ok(s.initializeReadFilters());
  c.connect();
  c.write(Buffer.from('x'), false);
  await settle();
  t.same(seen, ['a.init', 'b.init', 'c.init', 'a.data(x)', 'b.data(x)']);
});

t.test("stop in onNewConnection defers the next filters' start; held bytes follow continueReading", async (t) => {
  const { c, s } = connections();
  const seen: string[] = [];
  const a = recorder('a', seen, { init: 'stop' });
  s.addReadFilter(a);
  const b = recorder('b', seen, { init: 'stop' });
  s.addReadFilter(b);
  s.addReadFilter(recorder('c', seen));
  s.initializeReadFilters();
  t.same(seen, ['a.init'], 'b and c wait');
  c.connect();
  c.write(Buffer.from('1'), false);
  await settle();
  t.same(seen, ['a.init', 'a.data(1)', 'b.init'], 'b starts when bytes reach it, pauses, and the bytes wait for it');
  c.write(Buffer.from('2'), false);
  await settle();
  t.same(seen.slice(3), ['a.data(2)'], 'later bytes queue behind, in order');
  t.equal(s.pendingReadBytes, 2);
  b.callbacks?.continueReading();
  t.same(seen.slice(4), ['b.data(1)', 'c.init', 'c.data(1)', 'b.data(2)', 'c.data(2)']);
  t.equal(s.pendingReadBytes, 0);
});

t.test('a throwing filter closes its connection with the reason; nothing else is affected', async (t) => {
  const first = connections();
  const second = connections();
  first.s.addReadFilter({
    onData() {
      throw new Error('boom');
    },
  });
  first.s.initializeReadFilters();
  const seen: string[] = [];
  second.s.addReadFilter(recorder('ok', seen));
  second.s.initializeReadFilters();
  for (const { c } of [first, second]) {
    c.connect();
    c.write(Buffer.from('go'), false);
  }
  await settle();
  t.equal(first.s.state, 'Closed');
  t.match(first.s.closeReason, /filter_error: boom/);
  t.same(first.events.server, ['LocalClose']);
  t.equal(second.s.state, 'Open');
  t.same(seen, ['ok.init', 'ok.data(go)']);
});

t.test('read-disable is counted: every disable needs its enable', async (t) => {
  const { c, s } = connections();
  const seen: string[] = [];
  s.addReadFilter(recorder('r', seen));
  s.initializeReadFilters();
  s.readDisable(true);
  s.readDisable(true);
  c.connect();
  c.write(Buffer.from('x'), false);
  await settle();
  s.readDisable(false);
  await settle();
  t.same(seen, ['r.init'], 'still disabled after one enable');
  s.readDisable(false);
  await settle();
  t.same(seen, ['r.init', 'r.data(x)']);
});

t.test('write-buffer watermarks: above at the limit, below at half', async (t) => {
  const { c, s } = connections({ bufferLimit: 4096, pairBuffer: 1024 });
  const marks: string[] = [];
  s.addConnectionCallbacks({
    onEvent() {},
    onAboveWriteBufferHighWatermark: () => void marks.push('above'),
    onBelowWriteBufferLowWatermark: () => void marks.push('below'),
  });
  const got: Buffer[] = [];
  c.addReadFilter({ onData: (d) => (got.push(d), 'continue') });
  c.initializeReadFilters();
  c.readDisable(true);
  c.connect();
  await settle();
  s.write(Buffer.alloc(64 * 1024, 3), false);
  t.same(marks, ['above']);
  t.ok(s.isAboveHighWatermark);
  t.ok(s.pendingWriteBytes > 4096, 'the bytes wait in the writer, bounded by the caller reacting to the watermark');
  c.readDisable(false);
  await settle(10);
  t.same(marks, ['above', 'below']);
  t.equal(Buffer.concat(got).length, 64 * 1024);
});

t.test('without half-close, a peer EOF closes the connection', async (t) => {
  const { c, s, events } = connections();
  s.addReadFilter(recorder('r', []));
  s.initializeReadFilters();
  c.connect();
  c.write(Buffer.from('x'), true);
  await settle();
  t.same(events.server, ['RemoteClose']);
});

t.test('with half-close, EOF is delivered as endStream and the other direction keeps working', async (t) => {
  const { c, s, events } = connections();
  const seen: string[] = [];
  s.enableHalfClose(true);
  s.addReadFilter(recorder('r', seen));
  s.initializeReadFilters();
  const back: string[] = [];
  c.enableHalfClose(true);
  c.addReadFilter({ onData: (d, end) => (back.push(`${d.toString()}${end ? ',end' : ''}`), 'continue') });
  c.initializeReadFilters();
  c.connect();
  c.write(Buffer.from('req'), true);
  await settle();
  t.same(seen, ['r.init', 'r.data(req)', 'r.data(,end)']);
  t.equal(s.state, 'Open');
  s.write(Buffer.from('resp'), true);
  await settle();
  t.same(back, ['resp', ',end']);
  t.equal(s.state, 'Closed', 'both directions ended: closed');
  t.equal(c.state, 'Closed');
  t.same(events.server, ['LocalClose']);
  t.same(events.client, ['Connected', 'RemoteClose']);
});

t.test('FlushWrite delivers what is pending before closing; NoFlush drops it', async (t) => {
  // With a 1 KiB pair buffer, a 32 KiB write moves 16 KiB to the peer at once (Envoy's
  // fragment rule) and leaves 16 KiB pending in the writer.
  for (const [type, expected] of [
    ['FlushWrite', 32 * 1024],
    ['NoFlush', 16 * 1024],
  ] as const) {
    const { c, s } = connections({ pairBuffer: 1024 });
    const got: Buffer[] = [];
    c.addReadFilter({ onData: (d) => (got.push(d), 'continue') });
    c.initializeReadFilters();
    c.readDisable(true);
    c.connect();
    await settle();
    s.write(Buffer.alloc(32 * 1024), false);
    t.equal(s.pendingWriteBytes, 16 * 1024);
    s.close(type);
    c.readDisable(false);
    await settle(10);
    t.equal(Buffer.concat(got).length, expected, `${type}: bytes delivered`);
    t.equal(s.state, 'Closed');
    t.equal(c.state, 'Closed');
  }
});

t.test('AbortReset is seen by the peer as a reset', async (t) => {
  const { c, s, events } = connections();
  c.connect();
  await settle();
  s.close('AbortReset', 'test');
  await settle();
  t.equal(s.detectedCloseType, 'LocalReset');
  t.equal(c.detectedCloseType, 'RemoteReset');
  t.same(events.client, ['Connected', 'RemoteClose']);
});

t.test('write filters run last-added first, and can hold data back', async (t) => {
  const { c, s } = connections();
  const order: string[] = [];
  s.addWriteFilter({ onWrite: () => (order.push('first'), 'continue') });
  s.addWriteFilter({ onWrite: (d) => (order.push('second'), d.toString() === 'secret' ? 'stop' : 'continue') });
  const got: string[] = [];
  c.addReadFilter({ onData: (d) => (got.push(d.toString()), 'continue') });
  c.initializeReadFilters();
  c.connect();
  s.write(Buffer.from('secret'), false);
  s.write(Buffer.from('public'), false);
  await settle();
  t.same(order, ['second', 'second', 'first']);
  t.same(got, ['public']);
});
