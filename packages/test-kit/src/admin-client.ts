/** A small client for nodevoy's (or Envoy's) admin endpoints. */
export class AdminClient {
  constructor(readonly address: string) {}

  async get(path: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
    const response = await fetch(`http://${this.address}${path}`, init);
    return { status: response.status, body: await response.text(), headers: response.headers };
  }

  async json<T = unknown>(path: string): Promise<T> {
    const { status, body } = await this.get(path);
    if (status !== 200) throw new Error(`GET ${path}: ${status} ${body}`);
    return JSON.parse(body) as T;
  }

  /** Counters and gauges by name. */
  async stats(): Promise<Map<string, number>> {
    const json = await this.json<{ stats: { name?: string; value?: number }[] }>('/stats?format=json');
    const out = new Map<string, number>();
    for (const s of json.stats) if (s.name !== undefined && s.value !== undefined) out.set(s.name, s.value);
    return out;
  }

  async stat(name: string): Promise<number | undefined> {
    return (await this.stats()).get(name);
  }

  /**
   * Waits until a stat satisfies `predicate` (Envoy's `waitForCounterGe`): tests synchronize
   * on what the proxy reports, never on sleeps. Fails after `timeoutMs` with the last value.
   */
  async waitForStat(name: string, predicate: (value: number) => boolean, timeoutMs = 10_000): Promise<number> {
    const stats = await this.waitForStats((s) => {
      const value = s.get(name);
      return value !== undefined && predicate(value);
    }, timeoutMs, (last) => `stat ${name} never matched (last value: ${last.get(name)})`);
    return stats.get(name) as number;
  }

  /** Like `waitForStat`, for a condition over several stats. */
  async waitForStats(
    done: (stats: Map<string, number>) => boolean,
    timeoutMs = 10_000,
    describe: (last: Map<string, number>) => string = () => 'stats never matched',
  ): Promise<Map<string, number>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats();
      if (done(stats)) return stats;
      if (Date.now() > deadline) throw new Error(describe(stats));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The bound port of a TCP listener, from `/listeners?format=json`. */
  async listenerPort(name: string): Promise<number> {
    const json = await this.json<{ listener_statuses: { name: string; local_address: { socket_address?: { port_value: number } } }[] }>(
      '/listeners?format=json',
    );
    const port = json.listener_statuses.find((l) => l.name === name)?.local_address.socket_address?.port_value;
    if (port === undefined) throw new Error(`no TCP listener named ${name}`);
    return port;
  }
}
