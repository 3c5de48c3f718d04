// The catalogue of Envoy's extensions is generated from Envoy's own .proto files: the checked-in
// file is what the generator writes now, and a config naming an Envoy extension nodevoy does not
// ship is told so by name (not "unknown ... check the spelling").
import { readFileSync } from 'node:fs';
import t from 'tap';
import { anyHostRoutes, configProblems, httpConnectionManager, tcpListener } from '@nodevoy/test-kit';
// @ts-expect-error: a plain ESM script, without types
import { OUTPUT, envoyExtensions, render } from '../scripts/envoy-catalogue.mjs';

t.test('the checked-in catalogue is what the generator writes from the .proto files', async (t) => {
  t.equal(readFileSync(OUTPUT as string, 'utf8'), (render as (entries: unknown) => string)((envoyExtensions as () => unknown)()), 'run `npm run catalogue -w @nodevoy/core`');
});

t.test('Envoy extensions nodevoy does not ship are named as such', async (t) => {
  const unshipped: readonly (readonly [type: string, name: string])[] = [
    ['envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor', 'envoy.filters.http.ext_proc'],
    ['envoy.extensions.filters.http.wasm.v3.Wasm', 'envoy.filters.http.wasm'],
    ['envoy.extensions.filters.http.ratelimit.v3.RateLimit', 'envoy.filters.http.ratelimit'],
  ];
  for (const [type, name] of unshipped) {
    const hcm = httpConnectionManager({
      routeConfig: anyHostRoutes('              - { match: { prefix: / }, direct_response: { status: 200 } }\n'),
      httpFilters: `          - name: f\n            typed_config: { "@type": type.googleapis.com/${type} }\n`,
    });
    const problems = configProblems(`static_resources:\n  listeners:\n${tcpListener('l', hcm)}`);
    t.match(problems, new RegExp(`${name.replace(/\./g, '\\.')} \\(type\\.googleapis\\.com/${type.replace(/\./g, '\\.')}\\) is an Envoy extension that nodevoy does not ship`));
  }
});
