import {
  discoveredHost,
  endpointEntries,
  internalEndpointAddress,
  socketAddress,
  type ClusterConfig,
  type ClusterFactoryContext,
  type DiscoveredHost,
  type EndpointEntry,
  type HostDiscovery,
} from '@nodevoy/core';
import { resolveHost } from './resolve.js';

const DEFAULT_REFRESH_MS = 5000;

/**
 * Host discovery by DNS. STRICT_DNS keeps every address of every endpoint; LOGICAL_DNS keeps
 * only the first address of its single endpoint. Both re-resolve every `dns_refresh_rate`.
 */
export class DnsHostDiscovery implements HostDiscovery {
  hosts: DiscoveredHost[] = [];
  private readonly listeners: (() => void)[] = [];
  private readonly entries: EndpointEntry[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: ClusterConfig,
    private readonly context: ClusterFactoryContext,
    private readonly logical: boolean,
  ) {
    this.entries = endpointEntries(config);
  }

  async initialize(): Promise<void> {
    await this.resolveAll();
    this.schedule();
  }

  onHostsChanged(callback: () => void): void {
    this.listeners.push(callback);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.resolveAll().then(() => this.schedule()), this.config.dns_refresh_rate ?? DEFAULT_REFRESH_MS);
    this.timer.unref();
  }

  private async resolveAll(): Promise<void> {
    const family = this.config.dns_lookup_family ?? 'AUTO';
    const next: DiscoveredHost[] = [];
    let failed = false;
    for (const entry of this.entries) {
      const internal = internalEndpointAddress(entry.address);
      if (internal) {
        next.push(discoveredHost(entry, internal));
        continue;
      }
      const socket = entry.address.socket_address;
      if (!socket) continue;
      try {
        const ips = await resolveHost(socket.address, family);
        const chosen = this.logical ? ips.slice(0, 1) : ips;
        for (const ip of chosen) {
          next.push({ ...discoveredHost(entry, socketAddress(ip, socket.port_value ?? 0)), hostname: socket.address });
        }
      } catch (err) {
        failed = true;
        this.context.server.log.debug(`DNS resolution of '${socket.address}' failed for cluster '${this.config.name}': ${(err as Error).message}`);
      }
    }
    if (this.stopped) return;
    if (failed) {
      // Keep the last good hosts, as Envoy does on a failed refresh.
      this.context.clusterStats.counter('update_failure').inc();
      if (this.hosts.length > 0) return;
    }
    this.hosts = next;
    for (const listener of this.listeners) listener();
  }
}
