import { encodeProxyProtocol, socketAddress } from '@nodevoy/core';

export * from '@nodevoy/test-kit';

/** A PROXY header from `[ip, port]` to `[ip, port]`. */
export function encodeHeader(version: 1 | 2, source: [string, number], destination: [string, number], tlvs: { type: number; value: Buffer }[] = []): Buffer {
  return encodeProxyProtocol(version, socketAddress(...source), socketAddress(...destination), tlvs);
}
