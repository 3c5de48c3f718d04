// Configuration from a control plane: how long after a snapshot push the new config serves, and
// what 1,000 clusters cost in memory. nodevoy and Envoy (where installed) are driven by the same
// go-control-plane (test-support/xds-control-plane, built with Go; skipped without it), over ADS
// state of the world, one worker each.
import { xdsControlPlane } from '../../test-support/xds-control-plane.js';
import { TYPE_URL, xdsBootstrap } from '../../test-support/xds-resources.js';
import { adminGet, commandExists, here, rssMiB, startEnvoy, startNodevoy, stop, type AdminProxy } from './processes.js';

export interface XdsRow {
  readonly proxy: string;
  readonly resources: number;
  /** From the snapshot push until every listener is active and every cluster warm. */
  readonly pushToServeMs: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
}

const SIZES = [10, 1000] as const;

/** `n` clusters (STATIC, to `upstreamPort`) and `n` listeners (port 0, tcp_proxy to their cluster). */
function snapshotOf(n: number, upstreamPort: number): object[] {
  return Array.from({ length: n }, (_, i) => [
    {
      '@type': TYPE_URL.cluster,
      name: `c${i}`,
      type: 'STATIC',
      load_assignment: { cluster_name: `c${i}`, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }] },
    },
    {
      '@type': TYPE_URL.listener,
      name: `l${i}`,
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [{ filters: [{ name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: `l${i}`, cluster: `c${i}` } }] }],
    },
  ]).flat();
}

async function stat(proxy: AdminProxy, name: string): Promise<number> {
  const text = (await (await adminGet(proxy.admin, `/stats?filter=^${name.replace(/\./g, '\\.')}$`))?.text()) ?? '';
  return Number(/: (\d+)/.exec(text)?.[1] ?? 0);
}

/** Why the xDS rows cannot be measured here, or undefined. */
export function xdsMissing(): string | undefined {
  return xdsControlPlane(here('../..')).unavailable();
}

export async function measureXds(upstreamPort: number): Promise<XdsRow[]> {
  const controlPlanes = xdsControlPlane(here('../..'));
  const rows: XdsRow[] = [];
  const subjects = [['nodevoy', startNodevoy] as const, ...(commandExists('envoy') ? [['Envoy 1.40', startEnvoy] as const] : [])];
  for (const [name, start] of subjects) {
    for (const n of SIZES) {
      process.stderr.write(`measuring: xDS push to serve, ${name}, ${n} listeners and clusters\n`);
      const cleanups: (() => unknown)[] = [];
      const controlPlane = await controlPlanes.start({ teardown: (fn) => void cleanups.push(fn) });
      const node = `bench-${n}`;
      await controlPlane.setSnapshot(node, 'empty', []);
      // The control plane does not answer for an empty snapshot: the proxy starts after a short initial fetch.
      const proxy = await start(`${xdsBootstrap(controlPlane.grpcPort, node, { sourceExtra: ', initial_fetch_timeout: 0.5s' })}admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }\n`);
      const pid = proxy.child.pid ?? 0;
      const rssBeforeMiB = rssMiB(pid);
      const pushed = performance.now();
      await controlPlane.setSnapshot(node, 'full', snapshotOf(n, upstreamPort));
      while ((await stat(proxy, 'listener_manager.total_listeners_active')) < n || (await stat(proxy, 'cluster_manager.active_clusters')) < n + 1) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      rows.push({ proxy: name, resources: n, pushToServeMs: performance.now() - pushed, rssBeforeMiB, rssAfterMiB: rssMiB(pid) });
      await stop(proxy.child);
      for (const cleanup of cleanups) await cleanup();
    }
  }
  return rows;
}

export function xdsTable(rows: readonly XdsRow[], missing: string | undefined): string {
  if (missing) return `xDS: not measured (${missing})\n`;
  const lines = rows.map((r) => {
    const perThousand = ((r.rssAfterMiB - r.rssBeforeMiB) / r.resources) * 1000;
    return `| ${r.proxy} | ${r.resources} | ${r.pushToServeMs.toFixed(0)} | ${r.rssBeforeMiB.toFixed(1)} | ${r.rssAfterMiB.toFixed(1)} | ${r.resources >= 1000 ? perThousand.toFixed(1) : '-'} |`;
  });
  return `| xDS push to serve (ADS, go-control-plane) | listeners + clusters | ms until all serve | RSS before MiB | RSS after MiB | MiB per 1,000 of each |\n|---|---|---|---|---|---|\n${lines.join('\n')}\n`;
}
