import { observe, type Observation } from './observe.js';
import type { Scenario } from './scenario.js';
import { startTarget, TargetStartError, validateConfig, type TargetName } from './targets.js';
import { poll, Traffic } from './traffic.js';
import { startUpstream, type Upstream } from './upstreams.js';

/** Fills `${upstream.<name>}` with the upstream's port. */
export function renderConfig(config: string, upstreams: ReadonlyMap<string, Upstream>): string {
  return config.replace(/\$\{upstream\.([\w-]+)\}/g, (_, name: string) => {
    const upstream = upstreams.get(name);
    if (!upstream) throw new Error(`config refers to unknown upstream '${name}'`);
    return String(upstream.port);
  });
}

/**
 * Runs one scenario against one proxy: fresh upstreams, the config, the client steps, then
 * what a user can observe once connections settled.
 */
export async function runScenario(scenario: Scenario, target: TargetName, envoyBin: string | undefined): Promise<Observation> {
  const upstreams = new Map<string, Upstream>();
  try {
    for (const [name, behaviour] of Object.entries(scenario.upstreams)) upstreams.set(name, await startUpstream(behaviour));
    const config = renderConfig(scenario.config, upstreams);
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
    const traffic = new Traffic(running.admin, await running.admin.listenerPorts(), upstreams);
    try {
      let stepError: string | undefined;
      try {
        await traffic.run(scenario.steps);
      } catch (err) {
        stepError = (err as Error).message;
      }
      try {
        await settle(running.admin);
        return { config: 'accepted', ...(stepError ? { stepError } : {}), ...(await observe(scenario.observe, running.admin, traffic, upstreams)) };
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
  }
}

/** Waits until no proxied connection is open (admin's own do not count), so counters are final. */
async function settle(admin: { stats(): Promise<Map<string, number>> }): Promise<void> {
  const active = /\.(downstream_cx_active|upstream_cx_active)$/;
  await poll(async () => {
    const stats = await admin.stats();
    return [...stats].every(([name, value]) => value === 0 || name.startsWith('listener.admin.') || !active.test(name));
  }, 3000);
}
