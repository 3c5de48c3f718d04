import { Logger, Server, loadBootstrapConfig, type NodevoyExtension } from '@nodevoy/core';
import { createBundledRegistry } from '@nodevoy/cli';
import type { TestLike } from './test-like.js';

export interface InProcessNodevoy {
  readonly server: Server;
  /** Everything logged so far, one entry a line. */
  readonly logs: string[];
  /** The bound port of a TCP listener. */
  port(listener: string): number;
  /** A counter's or gauge's value (0 when it does not exist). */
  stat(name: string): number;
  /** Waits until a stat's value satisfies `predicate` (a few seconds at most); returns the value. */
  waitForStat(name: string, predicate: (value: number) => boolean): Promise<number>;
}

/**
 * A nodevoy server in the test's own process, on the bundled extensions plus `extensions`: for
 * what needs no process of its own (the CLI tests cover flags, signals and exits). Stopped at
 * teardown.
 */
export async function startInProcess(t: TestLike, yaml: string, extensions: readonly NodevoyExtension[] = []): Promise<InProcessNodevoy> {
  const registry = createBundledRegistry();
  for (const extension of extensions) registry.use(extension);
  const logs: string[] = [];
  const log = Logger.create('info', { write: (line) => void logs.push(line.trimEnd()) });
  const server = new Server({ registry, config: loadBootstrapConfig({ yaml }, registry), log });
  t.teardown(() => server.stop());
  await server.start();
  const stat = (name: string): number => {
    const snapshot = server.stats;
    return snapshot.counters.get(name)?.value ?? snapshot.gauges.get(name)?.value ?? 0;
  };
  return {
    server,
    logs,
    port(listener) {
      const address = server.listenerAddresses().find((entry) => entry.name === listener)?.address;
      if (address?.kind !== 'socket') throw new Error(`no TCP listener named ${listener}`);
      return address.port;
    },
    stat,
    async waitForStat(name, predicate) {
      const deadline = Date.now() + 10_000;
      while (!predicate(stat(name))) {
        if (Date.now() > deadline) throw new Error(`stat ${name} never matched (last value: ${stat(name)})`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return stat(name);
    },
  };
}
