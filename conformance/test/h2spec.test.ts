// h2spec (HTTP/2 conformance, RFC 7540/9113 and HPACK) against nodevoy's HTTP/2 listener, in CI:
// every case passes or is listed in KNOWN-DIFFERENCES.md with its reason, and more pass than
// Envoy 1.40's 131 on the same suite. Skipped, with how to get h2spec, where it is not installed.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ADMIN, anyHostRoutes, httpConnectionManager, startNodevoy, tcpListener } from '@nodevoy/test-kit';
import { H2SPEC_INSTALL, findH2spec, runH2spec } from '../src/h2spec.js';
import { loadKnownDifferences } from '../src/known-differences.js';

const ENVOY_PASSES = 131;
const KNOWN_DIFFERENCES = fileURLToPath(new URL('../KNOWN-DIFFERENCES.md', import.meta.url));

const h2spec = findH2spec();
if (!h2spec) {
  t.comment(`h2spec: not found; install it with \`${H2SPEC_INSTALL}\` (or set H2SPEC_BIN)`);
  t.pass('h2spec skipped: not installed');
} else {
  t.test('h2spec against an HTTP/2 connection manager', async (t) => {
    const config = `${ADMIN}static_resources:
  listeners:
${tcpListener(
  'h2',
  httpConnectionManager({
    extra: '          codec_type: HTTP2\n',
    routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200, body: { inline_string: "h2spec" } } }\n'),
  }),
)}  clusters: []
`;
    const proxy = await startNodevoy(t, config);
    const port = await proxy.admin.listenerPort('h2');
    const cases = await runH2spec(h2spec, port, join(t.testdir(), 'h2spec.xml'));
    const known = loadKnownDifferences(KNOWN_DIFFERENCES);
    t.equal(cases.length, 145, 'every case of h2spec 2.2.1 ran');
    for (const result of cases.filter((c) => c.outcome !== 'passed')) {
      const reason = known.get(result.id);
      if (reason) t.pass(`${result.id}: documented (${reason.slice(0, 80)}...)`);
      else t.fail(`${result.id} ${result.outcome}, not in KNOWN-DIFFERENCES.md:\n${result.detail}`);
    }
    for (const [id] of known) {
      if (id.startsWith('h2spec ') && cases.find((c) => c.id === id)?.outcome === 'passed') t.comment(`${id} passes now: remove it from KNOWN-DIFFERENCES.md`);
    }
    const passed = cases.filter((c) => c.outcome === 'passed').length;
    t.ok(passed > ENVOY_PASSES, `${passed} of ${cases.length} pass (Envoy 1.40: ${ENVOY_PASSES})`);
    t.equal(proxy.child.exitCode, null, 'the proxy survived every case');
    t.equal((await proxy.admin.get('/ready')).body, 'LIVE\n');
  });
}
