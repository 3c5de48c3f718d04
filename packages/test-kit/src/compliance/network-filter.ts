import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { ADMIN, INTERNAL_LISTENER_BOOTSTRAP, cluster, internalListener, tcpListener, tcpProxyFilter } from '../configs.js';
import { startInProcess, type InProcessNodevoy } from '../in-process.js';
import { RECORDER_FILTER, Recorder, patternBytes, type RecordedConnection } from '../network/recorder.js';
import { collect, connectTo, readBytes } from '../tcp.js';
import type { TestLike } from '../test-like.js';
import { within } from '../wait.js';
import { assertNoFilterThrew, checkBadConfigs, filterEntryYaml, type ComplianceOptions, type FilterUnderTest, type SuiteLike } from './filter-under-test.js';

/**
 * Where the filter runs: first in the chain of a TCP listener, or of an internal listener that
 * a TCP listener's tcp_proxy reaches (so every byte also crosses an in-process hop).
 */
type Placement = 'tcp listener' | 'internal listener';
const PLACEMENTS: readonly Placement[] = ['tcp listener', 'internal listener'];

/** Small, so that watermarks are crossed with little data: a filter that ignores them shows. */
const BUFFER_LIMIT = 64 * 1024;

function chainUnderTest(typedConfig: Readonly<Record<string, unknown>>, name: string): string {
  return `    filter_chains:
    - filters:
${filterEntryYaml(name, typedConfig, 6)}${filterEntryYaml(RECORDER_FILTER.name, RECORDER_FILTER.typed_config, 6)}`;
}

function harnessConfig(placement: Placement, name: string, typedConfig: Readonly<Record<string, unknown>>): string {
  const listenerExtra = `    stat_prefix: under_test\n    per_connection_buffer_limit_bytes: ${BUFFER_LIMIT}\n`;
  if (placement === 'tcp listener') {
    return `${ADMIN}static_resources:
  listeners:
${tcpListener('under_test', chainUnderTest(typedConfig, name), listenerExtra)}`;
  }
  return `${ADMIN}static_resources:
  listeners:
${tcpListener('edge', tcpProxyFilter({ statPrefix: 'edge', cluster: 'to_under_test' }), `    per_connection_buffer_limit_bytes: ${BUFFER_LIMIT}\n`)}${internalListener('under_test', chainUnderTest(typedConfig, name), listenerExtra)}  clusters:
${cluster('to_under_test', [{ internal: 'under_test' }], `    per_connection_buffer_limit_bytes: ${BUFFER_LIMIT}\n`)}${INTERNAL_LISTENER_BOOTSTRAP()}`;
}

interface Harness {
  readonly proxy: InProcessNodevoy;
  readonly recorder: Recorder;
  /** A client connection, and the recording of the same connection where the chain ends. */
  connect(): Promise<{ client: Socket; far: RecordedConnection }>;
  /** Nothing left open on the listener under test and nothing thrown: every scenario ends so. */
  settled(): Promise<void>;
  /** `promise`, or a failure naming `what` once the scenario's wait is over. */
  within<T>(promise: Promise<T>, what: string): Promise<T>;
}

async function startHarness(t: TestLike, filter: FilterUnderTest, placement: Placement, options: ComplianceOptions): Promise<Harness> {
  const recorder = new Recorder(options.waitMs);
  const extensions = [...(filter.extension ? [filter.extension] : []), recorder.extension];
  const proxy = await startInProcess(t, harnessConfig(placement, filter.name, filter.typedConfig), extensions);
  const port = proxy.port(placement === 'tcp listener' ? 'under_test' : 'edge');
  let opened = 0;
  return {
    proxy,
    recorder,
    async connect() {
      const client = await connectTo(t, port);
      return { client, far: await recorder.connection(opened++) };
    },
    async settled() {
      await proxy.waitForStat('listener.under_test.downstream_cx_active', (active) => active === 0);
      assertNoFilterThrew(proxy.logs);
    },
    within: (promise, what) => within(promise, options.waitMs ?? 10_000, what),
  };
}

/** Writes `total` pattern bytes in irregular chunks (1 byte to 100 KB), as real peers do. */
async function writeIrregularly(socket: Socket, total: number): Promise<Buffer> {
  const sizes = [1, 7, 1500, 65536, 3, 16384, 100_000];
  const written: Buffer[] = [];
  for (let at = 0, i = 0; at < total; i++) {
    const chunk = patternBytes(Math.min(sizes[i % sizes.length] as number, total - at), at);
    written.push(chunk);
    at += chunk.length;
    if (!socket.write(chunk)) await once(socket, 'drain');
  }
  return Buffer.concat(written);
}

/** Ends a connection cleanly from both sides, as peers that are done do: FIN each way. */
async function finish(client: Socket, far: RecordedConnection): Promise<void> {
  const closed = once(client, 'close');
  client.end();
  await far.until(() => far.ended, 'end of stream from the client');
  far.write('', true);
  await closed;
}

type Scenario = (harness: Harness) => Promise<void>;

/** Where each scenario applies: everywhere unless it says. */
interface ScenarioEntry {
  readonly name: string;
  readonly run: Scenario;
  readonly only?: Placement;
}

const SCENARIOS: readonly ScenarioEntry[] = [
  {
    name: '1 MiB each way arrives whole and in order',
    run: async (harness) => {
      const { client, far } = await harness.connect();
      const sent = await writeIrregularly(client, 1024 * 1024);
      await far.until(() => far.receivedBytes >= sent.length, 'the client bytes');
      assert.ok(far.received.equals(sent), 'the bytes the client sent arrived changed');
      const back = harness.within(readBytes(client, 1024 * 1024), 'the bytes written back');
      const written = await far.writeRespectingWatermarks(1024 * 1024);
      assert.ok((await back).equals(written), 'the bytes written back arrived changed');
      await finish(client, far);
    },
  },
  {
    name: 'the client half-closes first: its end arrives after its data, and the answer still flows',
    run: async (harness) => {
      const { client, far } = await harness.connect();
      const received = collect(client);
      client.end('ping');
      await far.until(() => far.ended, 'end of stream from the client');
      assert.equal(far.received.toString(), 'ping');
      assert.equal(far.dataAfterEnd, false, 'data arrived after end of stream');
      far.write('pong', true);
      const { data, end } = await received;
      assert.equal(data.toString(), 'pong');
      assert.equal(end, 'fin');
    },
  },
  {
    name: 'the far side half-closes first: the client gets all its data then FIN, and can still send',
    run: async (harness) => {
      const { client, far } = await harness.connect();
      const received = collect(client);
      const sent = patternBytes(256 * 1024);
      far.write(sent, true);
      const { data, end } = await received;
      assert.ok(data.equals(sent), `${data.length} of ${sent.length} bytes arrived, or changed`);
      assert.equal(end, 'fin');
      client.end('bye');
      await far.until(() => far.ended, 'end of stream from the client');
      assert.equal(far.received.toString(), 'bye');
    },
  },
  {
    name: 'a client reset closes the far side, and the next connection works',
    run: async (harness) => {
      const first = await harness.connect();
      first.client.write('before the reset');
      await first.far.until(() => first.far.receivedBytes === 16, 'the bytes before the reset');
      first.client.resetAndDestroy();
      await first.far.until(() => first.far.closed !== undefined, 'the far side to close');
      const second = await harness.connect();
      const echoed = readBytes(second.client, 5);
      second.client.write('again');
      await second.far.until(() => second.far.receivedBytes === 5, 'the next connection');
      second.far.write(second.far.received);
      assert.equal((await echoed).toString(), 'again');
      await finish(second.client, second.far);
    },
  },
  {
    name: 'a reset from the far side reaches the client as a reset',
    run: async (harness) => {
      const { client, far } = await harness.connect();
      const received = collect(client);
      far.connection.close('AbortReset', 'test_kit_reset');
      assert.equal((await received).end, 'reset');
    },
  },
  {
    name: 'a close after pending data delivers the data, then FIN',
    // Over an internal hop a full close is seen as a reset once the data is read (Envoy since
    // 2026, enable_send_rst_on_user_space_socket), and a reset may cut what is still buffered.
    only: 'tcp listener',
    run: async (harness) => {
      const { client, far } = await harness.connect();
      const received = collect(client);
      const sent = patternBytes(256 * 1024);
      far.write(sent);
      far.connection.close('FlushWrite', 'test_kit_close');
      const { data, end } = await received;
      assert.ok(data.equals(sent), `${data.length} of ${sent.length} bytes arrived, or changed`);
      assert.equal(end, 'fin');
    },
  },
  {
    name: 'a slow reader pushes back to the far side, then gets every byte',
    run: async (harness) => {
      const { client, far } = await harness.connect();
      client.pause();
      const total = 32 * 1024 * 1024;
      const writing = far.writeRespectingWatermarks(total);
      // The far side saw its write buffer over the limit while the client read nothing: the
      // filter passed the back-pressure on instead of holding the bytes itself.
      await far.until(() => far.highWatermarks > 0, 'back-pressure to reach the far side');
      const received = harness.within(readBytes(client, total), 'every byte at the slow reader');
      client.resume();
      const written = await writing;
      assert.ok((await received).equals(written), 'the bytes arrived changed');
      await finish(client, far);
    },
  },
];

/**
 * What every network filter must do (for a filter that passes traffic through: one that answers
 * by itself, as a terminal filter does, is not its subject). Each scenario runs with the filter
 * on a TCP listener and on an internal listener: bytes both ways whole and in order, half-close
 * in either order, resets both ways, a flushing close, back-pressure from a slow reader, no
 * connection left open, nothing thrown across the boundary; and bad configs refused with their
 * field paths. Runs its subtests on `t`.
 */
export function networkFilterCompliance(t: SuiteLike, filter: FilterUnderTest, options: ComplianceOptions = {}): void {
  for (const placement of PLACEMENTS) {
    for (const scenario of SCENARIOS.filter(({ only }) => only === undefined || only === placement)) {
      t.test(`${placement}: ${scenario.name}`, async (t) => {
        const harness = await startHarness(t, filter, placement, options);
        await scenario.run(harness);
        await harness.settled();
      });
    }
  }
  checkBadConfigs(t, filter, (typedConfig) => harnessConfig('tcp listener', filter.name, typedConfig), [new Recorder().extension]);
}
