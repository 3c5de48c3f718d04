import { Logger, Server, loadBootstrapConfig, type NodevoyExtension } from '@nodevoy/core';
import { createBundledRegistry } from '../packages/cli/src/bundled-extensions.js';
import type { TestLike } from './nodevoy.js';

export interface InProcessNodevoy {
  readonly server: Server;
  /** Everything logged so far, one entry a line. */
  readonly logs: string[];
  /** The bound port of a TCP listener. */
  port(listener: string): number;
  /** A counter's or gauge's value (0 when it does not exist). */
  stat(name: string): number;
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
  return {
    server,
    logs,
    port(listener) {
      const address = server.listenerAddresses().find((entry) => entry.name === listener)?.address;
      if (address?.kind !== 'socket') throw new Error(`no TCP listener named ${listener}`);
      return address.port;
    },
    stat(name) {
      const snapshot = server.stats;
      return snapshot.counters.get(name)?.value ?? snapshot.gauges.get(name)?.value ?? 0;
    },
  };
}
