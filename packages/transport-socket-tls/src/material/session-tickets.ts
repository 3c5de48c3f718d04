import { readDataSource, type ServerContext } from '@nodevoy/core';

/** Envoy's session ticket key: 16 bytes of name, 32 of HMAC secret, 32 of AES key. */
const ENVOY_KEY_LENGTH = 80;

/**
 * node:tls ticket keys (16 name + 16 HMAC + 16 AES bytes) from the first of Envoy's keys, the
 * one that encrypts new tickets. node:tls holds one key, so tickets made with the others are
 * not resumed (the client does a full handshake), and tickets are not interchangeable with Envoy's.
 */
export function sessionTicketKeys(config: { readonly keys: readonly Parameters<typeof readDataSource>[0][] }, server: ServerContext): Buffer | undefined {
  let keys: Buffer[];
  try {
    keys = config.keys.map((source) => readDataSource(source));
  } catch (err) {
    server.configIssue(config, 'keys', err instanceof Error ? err.message : String(err));
    return undefined;
  }
  for (const [i, key] of keys.entries()) {
    if (key.length !== ENVOY_KEY_LENGTH) {
      server.configIssue(config, `keys[${i}]`, `Incorrect TLS session ticket key length. Length ${key.length}, expected length ${ENVOY_KEY_LENGTH}.`);
      return undefined;
    }
  }
  const first = keys[0] as Buffer;
  return Buffer.concat([first.subarray(0, 16), first.subarray(16, 32), first.subarray(48, 64)]);
}
