/**
 * Per-connection state that filters share (a slice of Envoy's StreamInfo): filter state,
 * dynamic metadata, the server name a listener filter found, and when it started.
 */
export class ConnectionInfo {
  readonly startTimeMs = Date.now();
  readonly filterState = new Map<string, unknown>();
  readonly dynamicMetadata = new Map<string, Record<string, unknown>>();
  requestedServerName = '';
  transportProtocol = '';
  applicationProtocols: readonly string[] = [];

  /** Merges keys into one dynamic metadata namespace, as Envoy's `setDynamicMetadata`. */
  setDynamicMetadata(namespace: string, values: Record<string, unknown>): void {
    this.dynamicMetadata.set(namespace, { ...this.dynamicMetadata.get(namespace), ...values });
  }
}
