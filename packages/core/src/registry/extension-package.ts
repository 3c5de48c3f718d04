import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExtensionLoadError } from '../errors.js';

/** What a package's extension says of itself: its name, and the core range it works with. */
export interface ExtensionPackage {
  readonly name: string;
  readonly coreRange: string;
}

/**
 * An extension's `name` and `coreRange` from its own package.json (the nearest one above
 * `moduleUrl`: pass `import.meta.url`): the name, and the `@nodevoy/core` range it peer-depends
 * on. The range npm installs against and the range the registry checks are then one and the same.
 */
export function extensionPackage(moduleUrl: string): ExtensionPackage {
  for (let dir = dirname(fileURLToPath(moduleUrl)); ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) return identity(path);
    if (dirname(dir) === dir) throw new ExtensionLoadError(`no package.json above ${moduleUrl}`);
  }
}

function identity(path: string): ExtensionPackage {
  const json = JSON.parse(readFileSync(path, 'utf8')) as {
    name?: string;
    peerDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  const coreRange = json.peerDependencies?.['@nodevoy/core'] ?? json.dependencies?.['@nodevoy/core'];
  if (typeof json.name !== 'string' || coreRange === undefined) {
    throw new ExtensionLoadError(`${path}: an extension package needs a name and an @nodevoy/core peer dependency`);
  }
  return { name: json.name, coreRange };
}
