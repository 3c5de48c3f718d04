import type { Observation } from './observe.js';

/** Every path where two observations differ, with both values: empty when they match. */
export function differences(nodevoy: Observation, envoy: Observation): string[] {
  const out: string[] = [];
  walk(nodevoy, envoy, '', out);
  // A traffic script that stalls on both sides compares nothing useful: the scenario is broken.
  if (out.length === 0 && nodevoy.stepError !== undefined) out.push(`the traffic script did not complete on either side: ${nodevoy.stepError}`);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: nodevoy ${JSON.stringify(a)} / envoy ${JSON.stringify(b)}`);
}
