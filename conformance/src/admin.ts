/** Reads a proxy's admin endpoints; the same calls work against nodevoy and Envoy. */
export class Admin {
  constructor(readonly address: string) {}

  async status(path: string): Promise<number | undefined> {
    try {
      return (await fetch(`http://${this.address}${path}`)).status;
    } catch {
      return undefined;
    }
  }

  async text(path: string): Promise<{ status: number; body: string }> {
    let response: Response;
    try {
      response = await fetch(`http://${this.address}${path}`);
    } catch {
      // A pooled keep-alive connection the server closed as the request left: once more, fresh.
      response = await fetch(`http://${this.address}${path}`);
    }
    return { status: response.status, body: await response.text() };
  }

  /** A state-changing admin command; throws unless the proxy took it. */
  async post(path: string): Promise<void> {
    const response = await fetch(`http://${this.address}${path}`, { method: 'POST' });
    if (!response.ok) throw new Error(`admin POST ${path}: ${response.status} ${await response.text()}`);
  }

  async json<T>(path: string): Promise<T> {
    return JSON.parse((await this.text(path)).body) as T;
  }

  async stats(): Promise<Map<string, number>> {
    const json = await this.json<{ stats: { name?: string; value?: number }[] }>('/stats?format=json');
    return new Map(json.stats.flatMap((s) => (s.name !== undefined && typeof s.value === 'number' ? [[s.name, s.value] as const] : [])));
  }

  async listenerPorts(): Promise<Map<string, number>> {
    const json = await this.json<{ listener_statuses: { name: string; local_address: { socket_address?: { port_value: number } } }[] }>(
      '/listeners?format=json',
    );
    return new Map(json.listener_statuses.flatMap((l) => (l.local_address.socket_address ? [[l.name, l.local_address.socket_address.port_value] as const] : [])));
  }
}
