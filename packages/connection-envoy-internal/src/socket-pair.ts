import { INTERNAL_CLIENT_ADDRESS, PassthroughState, type InternalAddress } from '@nodevoy/core';
import { UserSpaceIoHandle } from './user-space-io-handle.js';

/**
 * Creates a connected pair of user-space handles, as Envoy's
 * `createBufferLimitedIoHandlePair`: the client end is `envoy://internal_client_address/` talking
 * to `target`, the server end sees it the other way round. Each receive buffer's high
 * watermark is `bufferSizeBytes`.
 */
export function createSocketPair(target: InternalAddress, bufferSizeBytes: number): { client: UserSpaceIoHandle; server: UserSpaceIoHandle } {
  const shared = new PassthroughState();
  const client = new UserSpaceIoHandle(INTERNAL_CLIENT_ADDRESS, target, bufferSizeBytes, false, shared);
  const server = new UserSpaceIoHandle(target, INTERNAL_CLIENT_ADDRESS, bufferSizeBytes, true, shared);
  UserSpaceIoHandle.pair(client, server);
  return { client, server };
}
