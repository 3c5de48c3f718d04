// The catalogue of Envoy's extensions is generated from Envoy's own .proto files: the checked-in
// file is what the generator writes now, and a config naming an Envoy extension nodevoy does not
// ship is told so by name (not "unknown ... check the spelling").
import { readFileSync } from 'node:fs';
import t from 'tap';
import { configProblems } from '@nodevoy/test-kit';
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
    const problems = configProblems(`static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: x
          route_config: {}
          http_filters:
          - name: f
            typed_config: { "@type": type.googleapis.com/${type} }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`);
    t.match(problems, new RegExp(`${name.replace(/\./g, '\\.')} \\(type\\.googleapis\\.com/${type.replace(/\./g, '\\.')}\\) is an Envoy extension that nodevoy does not ship`));
  }
});
