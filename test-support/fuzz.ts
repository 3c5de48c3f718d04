import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/**
 * fast-check properties with a bounded number of cases in `npm test`, many more under
 * `npm run fuzz` (NODEVOY_FUZZ_RUNS). A property that fails under `npm run fuzz` saves what it
 * found (seed, shrunk counterexample, replay path) in NODEVOY_FUZZ_FINDINGS before failing.
 */
export async function checkProperty<Ts extends [unknown, ...unknown[]]>(
  name: string,
  property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>,
  testRuns: number,
): Promise<void> {
  const runs = Number(process.env.NODEVOY_FUZZ_RUNS ?? testRuns);
  try {
    await fc.assert(property, { numRuns: runs });
  } catch (err) {
    const findings = process.env.NODEVOY_FUZZ_FINDINGS;
    if (findings) {
      mkdirSync(findings, { recursive: true });
      const file = join(findings, `${name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.txt`);
      writeFileSync(file, `${name}\n\n${err instanceof Error ? err.message : String(err)}\n`);
    }
    throw err;
  }
}
