import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { run: 'src/run.ts', loadgen: 'src/loadgen.ts', upstream: 'src/upstream.ts', 'node-proxy': 'src/node-proxy.ts', 'pipe-proxy': 'src/pipe-proxy.ts', 'tls-proxy': 'src/tls-proxy.ts', profile: 'src/profile.ts', soak: 'src/soak/soak.ts', resilience: 'src/soak/resilience.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  clean: true,
});
