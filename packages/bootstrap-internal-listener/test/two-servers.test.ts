// Library use, with only the extensions a program needs: two servers in one process, each with
// an internal listener of the same name, never see each other's listeners, registries or stats.
import t, { type Test } from 'tap';
import { extension as internalListener } from '@nodevoy/bootstrap-internal-listener';
import { extension as staticCluster } from '@nodevoy/cluster-static';
import { ExtensionRegistry, Logger, Server, parseBootstrapTree, parseConfigText } from '@nodevoy/core';
import { extension as tcpProxy } from '@nodevoy/filter-tcp-proxy';
import { collect, connectTo, seedTopology, startTcpServer } from '@nodevoy/test-kit';

async function startServer(t: Test, upstreamPort: number): Promise<Server> {
  const registry = new ExtensionRegistry().use(staticCluster).use(internalListener).use(tcpProxy);
  const config = parseBootstrapTree(parseConfigText(seedTopology(upstreamPort), 'inline.yaml'), registry);
  const server = new Server({ registry, config, log: Logger.create('off', { write() {} }), drainTimeMs: 0 });
  t.teardown(() => server.stop());
  await server.start();
  return server;
}

t.test('two servers, same internal listener name, separate worlds', async (t) => {
  const upstreamA = await startTcpServer(t, (s) => s.end('from A'));
  const upstreamB = await startTcpServer(t, (s) => s.end('from B'));
  const a = await startServer(t, upstreamA.port);
  const b = await startServer(t, upstreamB.port);

  for (const [server, expected] of [
    [a, 'from A'],
    [b, 'from B'],
  ] as const) {
    const port = server.listenerAddresses().find((l) => l.name === 'outbound')?.address;
    if (port?.kind !== 'socket') throw new Error('no outbound listener');
    const client = await connectTo(t, port.port);
    t.equal((await collect(client)).data.toString(), expected, 'each outer listener reaches its own inner listener');
  }
  t.equal(a.stats.counter('listener.envoy_internal_inner.downstream_cx_total').value, 1);
  t.equal(b.stats.counter('listener.envoy_internal_inner.downstream_cx_total').value, 1);
  a.stop();
  const portB = b.listenerAddresses().find((l) => l.name === 'outbound')?.address;
  if (portB?.kind !== 'socket') throw new Error('no outbound listener');
  const client = await connectTo(t, portB.port);
  t.equal((await collect(client)).data.toString(), 'from B', 'stopping one server leaves the other serving');
});

t.test('a program that leaves out the internal listener extension gets the fix in the error', async (t) => {
  const registry = new ExtensionRegistry().use(staticCluster).use(tcpProxy);
  const error = t.throws(() => parseBootstrapTree(parseConfigText(seedTopology(1), 'inline.yaml'), registry)) as Error;
  t.match(error.message, /envoy\.bootstrap\.internal_listener .* is provided by @nodevoy\/bootstrap-internal-listener, which is not loaded/);
});
