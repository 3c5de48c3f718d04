import { dirname, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExtensionLoadError, type ExtensionRegistry, type NodevoyExtension } from '@nodevoy/core';
import { resolve } from 'import-meta-resolve';

/**
 * Loads a third-party extension package for `--extension <module>`: resolved like an import
 * from the config file's directory (so a package installed next to the config is found), then
 * from the working directory (a package installed where nodevoy runs), and checked against this
 * core's version by the registry.
 */
export async function loadExtension(specifier: string, configPath: string | undefined, registry: ExtensionRegistry): Promise<NodevoyExtension> {
  const url = resolveExtension(specifier, configPath);
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new ExtensionLoadError(`cannot load extension '${specifier}': ${describe(err)}`, { cause: err });
  }
  const extension = module['extension'] as Partial<NodevoyExtension> | undefined;
  if (!extension || typeof extension.name !== 'string' || typeof extension.coreRange !== 'string' || typeof extension.register !== 'function') {
    throw new ExtensionLoadError(
      `cannot load extension '${specifier}': it must export 'extension' with name, coreRange and register(registry)`,
    );
  }
  registry.use(extension as NodevoyExtension);
  return extension as NodevoyExtension;
}

function resolveExtension(specifier: string, configPath: string | undefined): string {
  const bases = [...(configPath ? [dirname(resolvePath(configPath))] : []), process.cwd()].map((dir) => pathToFileURL(`${dir}/`).href);
  let firstError: unknown;
  for (const base of new Set(bases)) {
    try {
      return resolve(specifier, base);
    } catch (err) {
      firstError ??= err;
    }
  }
  throw new ExtensionLoadError(`cannot load extension '${specifier}': not found from ${[...new Set(bases)].join(' or ')} (${describe(firstError)})`, {
    cause: firstError,
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}
