import type { Address } from './address.js';
import { DelegatingIoHandle } from './delegating-io-handle.js';
import type { IoHandle, ReleasedSocket } from './io-handle.js';

/**
 * A transport whose addresses a listener filter restored (a PROXY protocol header, an original
 * destination): everything else is the transport's own.
 */
export class RestoredAddressIoHandle extends DelegatingIoHandle {
  constructor(
    inner: IoHandle,
    private readonly restored: { readonly local: Address; readonly remote: Address },
  ) {
    super(inner);
  }

  override get localAddress(): Address {
    return this.restored.local;
  }

  override get remoteAddress(): Address {
    return this.restored.remote;
  }

  protected override released(socket: ReleasedSocket): ReleasedSocket {
    return { ...socket, localAddress: this.restored.local, remoteAddress: this.restored.remote };
  }
}
