import type { ExtensionRegistry } from './registry.js';

/**
 * What an extension package exports (as `extension`). Registration is an explicit call,
 * never an import side effect; `coreRange` is the semver range of `@nodevoy/core` it works with.
 */
export interface NodevoyExtension {
  /** The package name, e.g. `@nodevoy/filter-tcp-proxy`. */
  readonly name: string;
  readonly coreRange: string;
  register(registry: ExtensionRegistry): void;
}
