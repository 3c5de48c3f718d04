// Any sequence of network events on connections through the seed topology (TCP listener ->
// tcp_proxy -> internal listener -> tcp_proxy -> echo upstream) leaves the counters consistent:
// once the clients are gone, no connection is left active on any hop, every connection opened
// was closed and counted once, and what a client sent before a clean end came back whole.
import { once } from 'node:events';
import fc from 'fast-check';
import t from 'tap';
import { collect, connectTo, seedTopology, startEchoServer, startInProcess, type InProcessNodevoy, type TestLike } from '@nodevoy/test-kit';
import { checkProperty } from '../../../test-support/fuzz.js';

type Step = { readonly write: number } | { readonly pause: true };
type Ending = 'fin' | 'reset' | 'destroy' | 'fin-then-reset';
interface Script {
  readonly steps: readonly Step[];
  readonly ending: Ending;
}

const script: fc.Arbitrary<Script> = fc.record({
  steps: fc.array(fc.oneof(fc.record({ write: fc.integer({ min: 1, max: 200_000 }) }), fc.constant({ pause: true as const })), { maxLength: 6 }),
  ending: fc.constantFrom<Ending>('fin', 'reset', 'destroy', 'fin-then-reset'),
});

/** Plays one client's script; for a clean FIN, returns how many bytes were sent and came back. */
async function play(t: TestLike, port: number, { steps, ending }: Script): Promise<{ sent: number; echoed: number } | undefined> {
  const socket = await connectTo(t, port);
  socket.on('error', () => {});
  const received = collect(socket);
  let sent = 0;
  for (const step of steps) {
    if ('pause' in step) {
      // Lets the proxy's event loop take the bytes so far before the next ones come.
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    sent += step.write;
    if (!socket.write(Buffer.alloc(step.write, 0x61))) await once(socket, 'drain');
  }
  switch (ending) {
    case 'fin': {
      socket.end();
      const { data } = await received;
      socket.destroy();
      return { sent, echoed: data.length };
    }
    case 'reset':
      socket.resetAndDestroy();
      return undefined;
    case 'destroy':
      socket.destroy();
      return undefined;
    case 'fin-then-reset':
      socket.end();
      await new Promise((resolve) => setImmediate(resolve));
      socket.resetAndDestroy();
      return undefined;
  }
}

const ACTIVE = ['listener.127.0.0.1_0.downstream_cx_active', 'listener.envoy_internal_inner.downstream_cx_active', 'cluster.to_inner.upstream_cx_active', 'cluster.upstream.upstream_cx_active'];

/**
 * `clean`: the connections that ended with a FIN and were answered, which the proxy surely
 * accepted (one reset before the accept is dropped by the kernel side unseen).
 */
function consistent(proxy: InProcessNodevoy, connections: number, clean: number): string[] {
  const problems: string[] = [];
  const expect = (name: string, value: number) => {
    if (proxy.stat(name) !== value) problems.push(`${name} = ${proxy.stat(name)}, expected ${value}`);
  };
  for (const name of ACTIVE) expect(name, 0);
  const accepted = proxy.stat('listener.127.0.0.1_0.downstream_cx_total');
  if (accepted < clean || accepted > connections) problems.push(`listener downstream_cx_total = ${accepted}, not within [${clean}, ${connections}]`);
  expect('listener.127.0.0.1_0.downstream_cx_destroy', accepted);
  expect('tcp.outbound.downstream_cx_total', accepted);
  for (const cluster of ['to_inner', 'upstream']) {
    const total = proxy.stat(`cluster.${cluster}.upstream_cx_total`);
    if (total > accepted) problems.push(`cluster.${cluster}.upstream_cx_total = ${total} > ${accepted} connections accepted`);
    expect(`cluster.${cluster}.upstream_cx_destroy`, total);
    expect(`cluster.${cluster}.upstream_cx_destroy_local`, proxy.stat(`cluster.${cluster}.upstream_cx_destroy`) - proxy.stat(`cluster.${cluster}.upstream_cx_destroy_remote`));
  }
  return problems;
}

t.test('random client behaviour through the seed topology leaves every counter consistent', async (t) => {
  await checkProperty(
    'connection events',
    fc.asyncProperty(fc.array(script, { minLength: 1, maxLength: 6 }), async (scripts) => {
      const echo = await startEchoServer(t);
      const proxy = await startInProcess(t, seedTopology(echo.port));
      const port = proxy.port('outbound');
      const results = await Promise.all(scripts.map((s) => play(t, port, s)));
      for (const result of results) if (result && result.echoed !== result.sent) throw new Error(`sent ${result.sent} bytes, ${result.echoed} came back`);
      for (const name of ACTIVE) await proxy.waitForStat(name, (v) => v === 0);
      const problems = consistent(proxy, scripts.length, results.filter((r) => r !== undefined).length);
      await proxy.server.stop();
      echo.server.close();
      if (problems.length > 0) throw new Error(problems.join('\n'));
    }),
    15,
  );
});
