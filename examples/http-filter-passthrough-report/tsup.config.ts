import { defineConfig } from 'tsup';

// A third party's own build: ESM + types; @nodevoy/core stays external (a peer dependency).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
});
