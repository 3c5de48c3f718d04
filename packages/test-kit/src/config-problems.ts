import { ConfigError, Logger, Server, loadBootstrapConfig } from '@nodevoy/core';
import { createBundledRegistry } from '@nodevoy/cli';

/**
 * The config problems of `yaml` on the bundled extensions, one per line, as
 * `nodevoy --mode validate` prints them; '' when it is valid. Anything but a ConfigError throws.
 */
export function configProblems(yaml: string): string {
  const registry = createBundledRegistry();
  try {
    new Server({ registry, config: loadBootstrapConfig({ yaml }, registry), log: Logger.create('error', { write() {} }), mode: 'validate' }).stop();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}
