import { fileURLToPath } from 'node:url';
import { differences } from './compare.js';
import { loadKnownDifferences } from './known-differences.js';
import type { ScenarioResult } from './report.js';
import { runScenario } from './run-scenario.js';
import { loadScenarios, type Scenario } from './scenario.js';

export const SCENARIOS_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));
export const KNOWN_DIFFERENCES = fileURLToPath(new URL('../KNOWN-DIFFERENCES.md', import.meta.url));
export const REPORT = fileURLToPath(new URL('../REPORT.md', import.meta.url));

/** Runs one scenario through nodevoy and through Envoy and compares. */
export async function compareScenario(scenario: Scenario, envoyBin: string, known: ReadonlyMap<string, string>): Promise<ScenarioResult> {
  // Side by side: each target has its own upstreams and ports, and most of a run is waiting.
  const [nodevoy, envoy] = await Promise.all([runScenario(scenario, 'nodevoy', envoyBin), runScenario(scenario, 'envoy', envoyBin)]);
  return {
    scenario,
    differences: differences(nodevoy, envoy),
    known: known.get(scenario.name),
    nodevoyConfig: nodevoy.config,
    envoyConfig: envoy.config,
    observations: { nodevoy, envoy },
  };
}

/** Runs every scenario, a few at a time (each on its own ports), in file order. */
export async function runSuite(envoyBin: string, options: { only?: string; concurrency?: number } = {}): Promise<ScenarioResult[]> {
  const known = loadKnownDifferences(KNOWN_DIFFERENCES);
  const scenarios = loadScenarios(SCENARIOS_DIR).filter((s) => !options.only || s.name.includes(options.only));
  const results: ScenarioResult[] = new Array(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const index = next++;
      results[index] = await compareScenario(scenarios[index] as Scenario, envoyBin, known);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  return results;
}
