import type { XXHashAPI } from 'xxhash-wasm';

/**
 * XXH64, the hash Envoy's consistent hashing uses (ring hash, Maglev, route hash policies), so
 * that a key picks the host Envoy would pick. The implementation is WebAssembly, compiled once
 * per process: it is a pure function, not server state, so one copy serves every server.
 */
let api: XXHashAPI | undefined;
let loading: Promise<void> | undefined;

/** Compiles the hash; servers await it as they start, before anything hashes. */
export function loadXxHash64(): Promise<void> {
  loading ??= import('xxhash-wasm').then(async (module) => {
    api = await module.default();
  });
  return loading;
}

/** XXH64 of `input`'s UTF-8 bytes (Envoy's `HashUtil::xxHash64`). */
export function xxHash64(input: string, seed = 0n): bigint {
  if (!api) throw new Error('xxHash64 used before loadXxHash64() resolved');
  return api.h64(input, seed);
}

/** XXH64 over several values, each hash the seed of the next (Envoy's span form). */
export function xxHash64Chain(values: readonly string[]): bigint {
  let seed = 0n;
  for (const value of values) seed = xxHash64(value, seed);
  return seed;
}
