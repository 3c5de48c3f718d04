import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessLogLines, observe, type Observation } from './observe.js';
import { pkiDirectory } from './pki.js';
import type { Scenario } from './scenario.js';
import { startTarget, TargetStartError, validateConfig, type TargetName } from './targets.js';
import { poll, Traffic } from './traffic.js';
import { startUpstream, type Upstream } from './upstreams.js';

/** Fills `${upstream.<name>}` with the upstream's port, `${access_log}` with the log's path, `${tls}` with the PKI's directory. */
export function renderConfig(config: string, upstreams: ReadonlyMap<string, Upstream>, accessLogPath: string, pki: string): string {
  return config
    .replace(/\$\{upstream\.([\w-]+)\}/g, (_, name: string) => {
      const upstream = upstreams.get(name);
      if (!upstream) throw new Error(`config refers to unknown upstream '${name}'`);
      return String(upstream.port);
    })
    .replaceAll('${access_log}', accessLogPath)
    .replaceAll('${tls}', pki);
}

/**
 * Runs one scenario against one proxy: fresh upstreams, the config, the client steps, then
 * what a user can observe once connections settled.
 */
export async function runScenario(scenario: Scenario, target: TargetName, envoyBin: string | undefined): Promise<Observation> {
  const upstreams = new Map<string, Upstream>();
  const logDir = mkdtempSync(join(tmpdir(), `conformance-log-${target}-`));
  const accessLogPath = join(logDir, 'access.log');
  try {
    const pki = await pkiDirectory();
    for (const [name, behaviour] of Object.entries(scenario.upstreams)) upstreams.set(name, await startUpstream(behaviour, pki));
    const config = renderConfig(scenario.config, upstreams, accessLogPath, pki);
    if (scenario.validateOnly) {
      return { config: validateConfig(target, envoyBin, config).accepted ? 'accepted' : 'rejected' };
    }
    let running;
    try {
      running = await startTarget(target, envoyBin, config);
    } catch (err) {
      if (err instanceof TargetStartError) return { config: 'rejected' };
      throw err;
    }
    const listenerPorts = await running.admin.listenerPorts();
    const traffic = new Traffic(running.admin, listenerPorts, upstreams, pki);
    try {
      let stepError: string | undefined;
      try {
        await traffic.run(scenario.steps);
      } catch (err) {
        stepError = (err as Error).message;
      }
      try {
        await settle(running.admin, traffic, listenerPorts);
        const observed = await observe(scenario.observe, running.admin, traffic, upstreams);
        // Access logs are read once the proxy quit: only then is every line surely written.
        if (scenario.observe.access_log) await running.quit();
        const accessLog = scenario.observe.access_log ? { access_log: accessLogLines(accessLogPath, upstreams) } : {};
        return { config: 'accepted', ...(stepError ? { stepError } : {}), ...observed, ...accessLog };
      } catch (err) {
        // The proxy stopped answering its admin (it crashed): a result, not the end of the suite.
        return { config: 'accepted', ...(stepError ? { stepError } : {}), crashed: `admin unreachable: ${(err as Error).message}; ${running.stderrTail()}` };
      }
    } finally {
      traffic.close();
      await running.stop();
    }
  } finally {
    for (const upstream of upstreams.values()) upstream.close();
    rmSync(logDir, { recursive: true, force: true });
  }
}

/**
 * Waits until the proxy has seen every client connection close that the client closed (its
 * listeners hold no more connections than the client still has open), so counters are final.
 * Connections the client keeps (keep-alive) stay open: they are not waited for.
 */
async function settle(admin: { stats(): Promise<Map<string, number>> }, traffic: Traffic, listenerPorts: ReadonlyMap<string, number>): Promise<void> {
  const listenerStats = [...listenerPorts.values()].map((port) => `listener.127.0.0.1_${port}.downstream_cx_active`);
  await poll(async () => {
    const stats = await admin.stats();
    const held = listenerStats.reduce((sum, name) => sum + (stats.get(name) ?? 0), 0);
    return held <= traffic.openConnections();
  }, 3000);
}
