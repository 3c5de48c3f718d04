import semver from 'semver';
import type { ParseServices, TypedConfigResolution } from '../config/schema/types.js';
import { DuplicateExtensionError, ExtensionLoadError } from '../errors.js';
import { CORE_VERSION } from '../version.js';
import type { NodevoyExtension } from './extension.js';
import { knownExtensionByName, knownExtensionByTypeUrl, notLoadedMessage } from './known-extensions.js';
import type { ExtensionFactory } from './types.js';
import { BUILTIN_LB_POLICIES } from '../upstream/builtin-lb-policies.js';

interface CategoryIndex {
  readonly byTypeUrl: Map<string, ExtensionFactory>;
  readonly byName: Map<string, ExtensionFactory>;
}

/**
 * The extension registry: factories by category, keyed by the `@type` URL of their typed
 * config (and by name, for people, logs and Envoy's name-only fallback). Duplicate claims are
 * errors. A registry holds definitions only; every runtime object belongs to a server.
 */
export class ExtensionRegistry implements ParseServices {
  private readonly categories = new Map<string, CategoryIndex>();
  private readonly extensions = new Map<string, NodevoyExtension>();
  /** The package each factory came with, while and after it registered. */
  private readonly packageOf = new Map<ExtensionFactory, string>();
  private registering: string | undefined;

  constructor() {
    // Core's own balancers: a cluster always has round robin, least request and random.
    for (const policy of BUILTIN_LB_POLICIES) this.add(policy);
  }

  /** Registers an extension package, once, after checking it fits this core. */
  use(extension: NodevoyExtension): this {
    const existing = this.extensions.get(extension.name);
    if (existing === extension) return this;
    if (existing) throw new DuplicateExtensionError(`extension package ${extension.name} is already registered (a second copy was loaded)`);
    if (!semver.validRange(extension.coreRange)) {
      throw new ExtensionLoadError(`${extension.name} declares an invalid core range '${extension.coreRange}'`);
    }
    if (!semver.satisfies(CORE_VERSION, extension.coreRange, { includePrerelease: true })) {
      throw new ExtensionLoadError(
        `${extension.name} works with @nodevoy/core ${extension.coreRange}, but this is @nodevoy/core ${CORE_VERSION}`,
      );
    }
    this.extensions.set(extension.name, extension);
    const outer = this.registering;
    this.registering = extension.name;
    try {
      extension.register(this);
    } finally {
      this.registering = outer;
    }
    return this;
  }

  /**
   * Adds one factory. A factory object added twice is a no-op; a second claimant is an error,
   * except that one package may give one name to factories of different `@type`s (Envoy's TLS
   * socket is one name for its upstream and downstream contexts): the name finds the first.
   */
  add(factory: ExtensionFactory): this {
    const index = this.index(factory.category);
    const nameHolder = index.byName.get(factory.name);
    const sibling = nameHolder !== undefined && nameHolder !== factory && this.registering !== undefined && this.packageOf.get(nameHolder) === this.registering;
    const claims: [Map<string, ExtensionFactory>, string, string][] = [
      ...(sibling ? [] : [[index.byName, factory.name, 'name'] as [Map<string, ExtensionFactory>, string, string]]),
      ...factory.typeUrls.map((url): [Map<string, ExtensionFactory>, string, string] => [index.byTypeUrl, url, '@type']),
    ];
    for (const [map, key, what] of claims) {
      const holder = map.get(key);
      if (holder && holder !== factory) {
        throw new DuplicateExtensionError(`${factory.category} ${what} '${key}' is claimed by both ${holder.name} and ${factory.name}`);
      }
    }
    for (const [map, key] of claims) map.set(key, factory);
    if (this.registering !== undefined && !this.packageOf.has(factory)) this.packageOf.set(factory, this.registering);
    return this;
  }

  get<T extends ExtensionFactory>(category: string, typeUrl: string): T | undefined {
    return this.categories.get(category)?.byTypeUrl.get(typeUrl) as T | undefined;
  }

  getByName<T extends ExtensionFactory>(category: string, name: string): T | undefined {
    return this.categories.get(category)?.byName.get(name) as T | undefined;
  }

  list<T extends ExtensionFactory>(category: string): T[] {
    const index = this.categories.get(category);
    return [...new Set([...(index?.byName.values() ?? []), ...(index?.byTypeUrl.values() ?? [])])] as T[];
  }

  registeredPackages(): string[] {
    return [...this.extensions.keys()];
  }

  resolveTypedConfig(category: string, typeUrl: string): TypedConfigResolution {
    const factory = this.get(category, typeUrl);
    if (factory) return { found: true, schema: factory.configSchema, target: factory };
    return this.notFound(category, typeUrl, knownExtensionByTypeUrl(typeUrl), (c) => this.get(c, typeUrl));
  }

  resolveByName(category: string, name: string): TypedConfigResolution {
    const factory = this.getByName(category, name);
    if (factory) return { found: true, schema: factory.configSchema, target: factory };
    return this.notFound(category, name, knownExtensionByName(name), (c) => this.getByName(c, name));
  }

  private notFound(
    category: string,
    key: string,
    known: ReturnType<typeof knownExtensionByTypeUrl>,
    inCategory: (category: string) => ExtensionFactory | undefined,
  ): TypedConfigResolution {
    for (const other of this.categories.keys()) {
      const factory = inCategory(other);
      if (factory) {
        return { found: false, message: `'${key}' is ${factory.name}, a ${other} extension, which cannot be used as a ${category} extension` };
      }
    }
    if (known) return { found: false, ...notLoadedMessage(known) };
    return {
      found: false,
      message: `unknown ${category} extension '${key}'`,
      hint: 'check the spelling of the @type, or load the package that provides it with --extension',
    };
  }

  private index(category: string): CategoryIndex {
    let index = this.categories.get(category);
    if (!index) this.categories.set(category, (index = { byTypeUrl: new Map(), byName: new Map() }));
    return index;
  }
}
