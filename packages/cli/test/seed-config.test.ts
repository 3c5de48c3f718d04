import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { collect, connectTo, readBytes, startEchoServer, startNodevoy, startTcpServer, type RunningNodevoy } from '@nodevoy/test-kit';
import { CONFIGS_DIR } from '../../../test-support/paths.js';
import { seedExampleYaml } from '../../../test-support/seed.js';

/** The three forms of the seed topology: client -> TCP listener -> internal listener -> upstream. */
const topologies = [
  {
    name: 'the seed document example, as written (legacy envoy_internal_address listener)',
    listener: 'outbound_tcp_svc_19000',
    yaml: (upstreamPort: number) =>
      seedExampleYaml().replace('port_value: 19000', 'port_value: 0').replace('port_value: 19001', `port_value: ${upstreamPort}`),
  },
  {
    name: 'the seed example in the modern form (internal_listener: {})',
    listener: 'outbound_tcp_svc_19000',
    yaml: (upstreamPort: number) =>
      seedExampleYaml()
        .replace('port_value: 19000', 'port_value: 0')
        .replace('port_value: 19001', `port_value: ${upstreamPort}`)
        .replace(/ {2}address:\n {6}envoy_internal_address:\n {8}server_listener_name: singleton_internal_encap\n/, '  internal_listener: {}\n'),
  },
  {
    name: 'internal_listener_proxy.yaml from Envoy',
    listener: 'ingress',
    yaml: (upstreamPort: number) =>
      readFileSync(join(CONFIGS_DIR, 'internal_listener_proxy.yaml'), 'utf8')
        .replace('port_value: 9999', 'port_value: 0')
        .replace('port_value: 10000', `port_value: ${upstreamPort}`),
  },
];

for (const topology of topologies) {
  t.test(topology.name, async (t) => {
    t.test('bytes reach the upstream and the echo comes back', async (t) => {
      const upstream = await startEchoServer(t);
      const proxy = await startNodevoy(t, topology.yaml(upstream.port), { addAdmin: true });
      const client = await connectTo(t, await proxy.admin.listenerPort(topology.listener));
      const received = collect(client);
      client.end('hello through an internal listener');
      const { data, end } = await received;
      t.equal(data.toString(), 'hello through an internal listener');
      t.equal(end, 'fin', 'the client sees a clean end after its own half-close came back');
    });

    t.test('16 MiB each way arrive intact', async (t) => {
      const upstream = await startEchoServer(t);
      const proxy = await startNodevoy(t, topology.yaml(upstream.port), { addAdmin: true });
      const client = await connectTo(t, await proxy.admin.listenerPort(topology.listener));
      const payload = randomBytes(16 * 1024 * 1024);
      const echoed = readBytes(client, payload.length);
      client.write(payload);
      const back = await echoed;
      t.equal(back.length, payload.length);
      t.equal(sha256(back), sha256(payload), 'the echo is byte-for-byte what was sent');
      await proxy.admin.waitForStat(`cluster.${upstreamCluster(topology.listener)}.upstream_cx_rx_bytes_total`, (v) => v === payload.length);
    });

    t.test("the client's half-close reaches the upstream, whose reply still arrives", async (t) => {
      const reply = 'reply after your FIN';
      let upstreamSawFin = false;
      const upstream = await startTcpServer(t, (socket) => {
        const got: Buffer[] = [];
        socket.on('data', (c: Buffer) => got.push(c));
        socket.on('end', () => {
          upstreamSawFin = true;
          socket.end(`${reply}: ${Buffer.concat(got).toString()}`);
        });
      });
      const proxy = await startNodevoy(t, topology.yaml(upstream.port), { addAdmin: true });
      const client = await connectTo(t, await proxy.admin.listenerPort(topology.listener));
      const received = collect(client);
      client.end('request');
      const { data, end } = await received;
      t.ok(upstreamSawFin, 'the upstream saw the FIN');
      t.equal(data.toString(), `${reply}: request`);
      t.equal(end, 'fin');
    });

    t.test('an upstream reset closes the client with a reset', async (t) => {
      // The upstream resets only after the client answered its data, so the RST arrives on
      // its own: libuv reports an RST that lands in the same read as data as a FIN.
      const upstream = await startTcpServer(t, (socket) => {
        socket.once('data', () => {
          socket.write('partial');
          socket.once('data', () => socket.resetAndDestroy());
        });
      });
      const proxy = await startNodevoy(t, topology.yaml(upstream.port), { addAdmin: true });
      const client = await connectTo(t, await proxy.admin.listenerPort(topology.listener));
      const received = collect(client);
      client.write('go');
      client.once('data', () => client.write('ack'));
      const { data, end } = await received;
      t.equal(data.toString(), 'partial');
      t.equal(end, 'reset', 'the reset travels through both hops, as with Envoy 1.40');
    });

    t.test('SIGTERM drains and exits 0', async (t) => {
      const upstream = await startEchoServer(t);
      const proxy = await startNodevoy(t, topology.yaml(upstream.port), { addAdmin: true });
      t.equal(await proxy.stop('SIGTERM'), 0);
    });
  });
}

t.test('the legacy form runs with one line that names the modern form', async (t) => {
  const upstream = await startEchoServer(t);
  const proxy = await startNodevoy(t, topologies[0]!.yaml(upstream.port), { addAdmin: true });
  const lines = proxy.stderr().split('\n').filter((l) => l.includes("use 'internal_listener: {}'"));
  t.equal(lines.length, 1);
  t.match(lines[0], /listener 'singleton_internal_encap'/);
});

function upstreamCluster(listener: string): string {
  return listener === 'ingress' ? 'cluster_0' : 'singleton_internal_encap';
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
