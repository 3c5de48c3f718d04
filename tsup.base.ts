import { defineConfig, type Options } from 'tsup';

/**
 * The one build recipe every package shares: ESM + .d.ts, Node 20.
 * tsup keeps `dependencies` and `peerDependencies` external, so `@nodevoy/core`
 * is never bundled into a plugin's dist.
 */
export function packageBuild(entry: Record<string, string> = { index: 'src/index.ts' }, extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    ...extra,
  });
}
