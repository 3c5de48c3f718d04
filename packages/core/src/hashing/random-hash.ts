import { randomBytes } from 'node:crypto';

/** A random 64-bit hash: where a request has no hash (no hash policy matched), it lands anywhere, as in Envoy. */
export function randomHash64(): bigint {
  return randomBytes(8).readBigUInt64BE();
}
