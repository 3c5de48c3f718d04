import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIGS_DIR } from './paths.js';

/**
 * One of Envoy's own example configs (configs/envoy/), with the few edits a test needs (fixed
 * ports to free ones, a public host to a local one). Every edit must apply exactly once: a
 * config that changed under the test fails loudly instead of silently testing something else.
 */
export function envoyConfig(file: string, edits: ReadonlyArray<readonly [from: string | RegExp, to: string]>): string {
  let yaml = readFileSync(join(CONFIGS_DIR, file), 'utf8');
  for (const [from, to] of edits) {
    const matches = typeof from === 'string' ? yaml.split(from).length - 1 : (yaml.match(new RegExp(from, 'g')) ?? []).length;
    if (matches !== 1) throw new Error(`${file}: expected one match of ${String(from)}, found ${matches}`);
    yaml = yaml.replace(from, to);
  }
  return yaml;
}
