// `--concurrency N` through the real CLI: N worker processes accept on the shared listener, every
// internal hop stays in the worker that accepted the connection, the admin adds the workers'
// stats up, and signals, /quitquitquit and startup failures act on all of them.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import t from 'tap';
import { bootstrap, cluster, collect, connectTo, internalListener, startEchoServer, startNodevoy, tcpListener, tcpProxyFilter, waitFor } from '@nodevoy/test-kit';

const TWO_WORKERS = ['--concurrency', '2'];

function seed(upstreamPort: number, listenPort = 0): string {
  return bootstrap({
    listeners: [
      tcpListener('front', tcpProxyFilter({ statPrefix: 'front', cluster: 'to_inner' })).replace('port_value: 0', `port_value: ${listenPort}`),
      internalListener('inner', tcpProxyFilter({ statPrefix: 'inner', cluster: 'echo' })),
    ],
    clusters: [cluster('to_inner', [{ internal: 'inner' }]), cluster('echo', [{ port: upstreamPort }])],
  });
}

t.test('two workers share the listener; each connection stays in its worker; the admin sums them up', async (t) => {
  const echo = await startEchoServer(t);
  const proxy = await startNodevoy(t, seed(echo.port), { args: TWO_WORKERS });
  const port = await proxy.admin.listenerPort('front');
  const connections = 40;
  const replies = await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const client = await connectTo(t, port);
      const received = collect(client);
      client.end(`hello ${i}`);
      return (await received).data.toString();
    }),
  );
  t.same(replies, Array.from({ length: connections }, (_, i) => `hello ${i}`), 'every connection echoed through both hops');

  const stats = await proxy.admin.waitForStats((s) => s.get('tcp.inner.downstream_cx_total') === connections);
  t.equal(stats.get('server.concurrency'), 2);
  t.equal(stats.get('server.live'), 1, 'a whole-server gauge is not added up');
  t.equal(stats.get('listener.127.0.0.1_0.downstream_cx_total'), connections, 'the workers add up to every connection');
  t.equal(stats.get('cluster.echo.upstream_cx_total'), connections);
  const perWorker = [0, 1].map((n) => [stats.get(`listener.127.0.0.1_0.worker_${n}.downstream_cx_total`) ?? 0, stats.get(`listener.envoy_internal_inner.worker_${n}.downstream_cx_total`) ?? 0] as const);
  t.equal(perWorker.reduce((sum, [accepted]) => sum + accepted, 0), connections);
  for (const [n, [accepted, internal]] of perWorker.entries()) t.equal(internal, accepted, `worker ${n}: every internal hop in the worker that accepted the connection`);
  t.equal((await proxy.admin.get('/ready')).body, 'LIVE\n');

  t.equal(await proxy.stop('SIGTERM'), 0, 'SIGTERM drains every worker, then the primary exits 0');
});

t.test('/quitquitquit stops every worker', async (t) => {
  const echo = await startEchoServer(t);
  const proxy = await startNodevoy(t, seed(echo.port), { args: TWO_WORKERS });
  const exited = once(proxy.child, 'exit');
  t.equal((await proxy.admin.get('/quitquitquit', { method: 'POST' })).status, 200);
  const [code] = (await exited) as [number | null];
  t.equal(code, 0);
});

t.test('a worker that cannot start fails the whole server, with its error', async (t) => {
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const error = await startNodevoy(t, seed(1, port), { args: TWO_WORKERS }).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.match(error, /nodevoy exited with 1 before it was ready/);
  t.match(error, /cannot bind '127\.0\.0\.1:\d+': Address already in use/);
});

t.test('a bad config is reported once, before any worker starts', async (t) => {
  const error = await startNodevoy(t, seed(1).replace('cluster: echo', 'cluster: nowhere'), { args: TWO_WORKERS }).then(
    () => 'started',
    (err: Error) => err.message,
  );
  t.equal(error.match(/error initializing configuration/g)?.length, 1);
});

t.test('a worker that dies is logged, counted and replaced; the other serves meanwhile and the listener stays open', async (t) => {
  const echo = await startEchoServer(t);
  const proxy = await startNodevoy(t, seed(echo.port), { args: TWO_WORKERS });
  const port = await proxy.admin.listenerPort('front');
  const workers = childPids(proxy.child.pid as number);
  t.equal(workers.length, 2);
  process.kill(workers[0] as number, 'SIGKILL');

  // The admin answers throughout (503 while the replacement starts), then LIVE with a restart
  // counted. Bounded, so that a replacement that never comes fails with what the server said.
  const replaced = async () => {
    const ready = await proxy.admin.get('/ready', { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    const now = childPids(proxy.child.pid as number);
    return ready?.body === 'LIVE\n' && now.length === 2 && !now.includes(workers[0] as number) ? true : undefined;
  };
  await waitFor(replaced, 60_000).catch(() => {
    throw new Error(`no replacement worker: exit code ${proxy.child.exitCode}, workers ${childPids(proxy.child.pid as number).join(' ')}; stderr:\n${proxy.stderr()}`);
  });
  t.equal(await proxy.admin.stat('server.worker_restarts'), 1);
  t.match(proxy.stderr(), /worker \d exited unexpectedly \(SIGKILL\): starting a new worker \d; the others go on serving/);

  const replies = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const client = await connectTo(t, port);
      const received = collect(client);
      client.end(`after ${i}`);
      return (await received).data.toString();
    }),
  );
  t.same(replies, Array.from({ length: 20 }, (_, i) => `after ${i}`), 'the same port serves every new connection');
  t.equal(proxy.child.exitCode, null, 'the server lives on');
  t.equal(await proxy.stop('SIGTERM'), 0);
});

/** The worker processes of a primary. */
function childPids(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out.split('\n').map((line) => Number(line.trim())).filter((n) => n > 0);
}
