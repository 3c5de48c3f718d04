/** The names a scaffolded extension goes by, all derived from its package name. */
export interface ExtensionNames {
  /** The npm package: `nodevoy-filter-rate-guard`, `@acme/nodevoy-rate-guard`. */
  readonly packageName: string;
  /** snake_case, as Envoy names fields and stats: `rate_guard`. */
  readonly snake: string;
  /** PascalCase, for the config message and the filter class: `RateGuard`. */
  readonly pascal: string;
  /** The extension name in configs: `nodevoy.contrib.rate_guard` unless given. */
  readonly extensionName: string;
  /** The protobuf message name its typed config is (`@type`'s part after the slash). */
  readonly messageName: string;
}

/** A package name npm accepts: lowercase, URL-safe, optionally scoped. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

export class ScaffoldError extends Error {}

export function extensionNames(packageName: string, extensionName?: string): ExtensionNames {
  if (!PACKAGE_NAME.test(packageName)) throw new ScaffoldError(`'${packageName}' is not a valid npm package name (lowercase letters, digits, '-', '.', '_', an optional @scope/)`);
  const bare = packageName.replace(/^@[^/]+\//, '').replace(/^nodevoy-(?:filter-|http-filter-)?/, '');
  const words = bare.split(/[^a-z0-9]+/).filter((word) => word.length > 0);
  if (words.length === 0) throw new ScaffoldError(`'${packageName}' leaves no name for the filter once 'nodevoy-' is taken off`);
  const snake = words.join('_');
  const pascal = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  const name = extensionName ?? `nodevoy.contrib.${snake}`;
  if (!/^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/.test(name)) throw new ScaffoldError(`'${name}' is not an extension name (dot-separated lowercase words, like 'acme.filters.${snake}')`);
  return { packageName, snake, pascal, extensionName: name, messageName: `${name}.v1.${pascal}` };
}
