// upstream_connection_options.tcp_keepalive: the kernel socket to the upstream has TCP
// keep-alive on (as `ss -o` shows its keepalive timer), and without it, it does not.
// Skipped where `ss` (iproute2) is not installed.
import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { bootstrap, cluster, connectTo, readBytes, startEchoServer, startInProcess, tcpListener, tcpProxyFilter, type InProcessNodevoy } from '@nodevoy/test-kit';

const ss = spawnSync('ss', ['-V'], { encoding: 'utf8' });
const skip = ss.status === 0 ? false : 'ss (iproute2) is not installed';

/** The timer `ss -o` shows on the established connection to `port` (keepalive or none). */
function timerTo(port: number): string {
  const out = spawnSync('ss', ['-tnoH', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' }).stdout;
  return /timer:\((\w+)/.exec(out)?.[1] ?? 'none';
}

async function upstreamConnection(t: Test, extra: string): Promise<{ proxy: InProcessNodevoy; port: number }> {
  const echo = await startEchoServer(t);
  const proxy = await startInProcess(
    t,
    bootstrap({
      listeners: [tcpListener('tcp', tcpProxyFilter({ statPrefix: 'tcp', cluster: 'backend' }))],
      clusters: [cluster('backend', [{ port: echo.port }], extra)],
    }),
  );
  const client = await connectTo(t, proxy.port('tcp'));
  client.write('hello');
  // The echo back means the upstream socket is connected and the proxy has seen it connect.
  t.equal((await readBytes(client, 5)).toString(), 'hello');
  return { proxy, port: echo.port };
}

t.test('tcp_keepalive turns keep-alive on for upstream connections', { skip }, async (t) => {
  const { port } = await upstreamConnection(t, '    upstream_connection_options: { tcp_keepalive: { keepalive_time: 30 } }\n');
  t.equal(timerTo(port), 'keepalive');
});

t.test('without it, no keep-alive', { skip }, async (t) => {
  const { port } = await upstreamConnection(t, '');
  t.equal(timerTo(port), 'none');
});
