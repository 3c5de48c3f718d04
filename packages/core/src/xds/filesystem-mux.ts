import { readFileSync } from 'node:fs';
import { watchFile } from '../config/file-watch.js';
import { parseConfigText, toPlain } from '../config/tree.js';
import type { Logger } from '../log/logger.js';
import type { XdsMux, XdsResource, XdsWatch, XdsWatchCallbacks } from './xds-types.js';

const RESOURCE_WRAPPER = 'type.googleapis.com/envoy.service.discovery.v3.Resource';

interface FileWatch {
  readonly typeUrl: string;
  readonly names: ReadonlySet<string>;
  readonly callbacks: XdsWatchCallbacks;
}

/**
 * Resources from a file (`path_config_source`, Envoy's `envoy.config_subscription.filesystem`):
 * a DiscoveryResponse in YAML or JSON (`version_info`, `resources` with their `@type`), read at
 * once and again whenever the file (or its `watched_directory`) changes. A file that cannot be
 * read or parsed is an update failure, a resource a watch refuses a rejection; either way what
 * was applied before stays.
 */
export class FilesystemMux implements XdsMux {
  private readonly watches = new Set<FileWatch>();
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly path: string,
    private readonly watchedDirectory: string | undefined,
    private readonly log: Logger,
  ) {}

  watch(typeUrl: string, names: readonly string[], callbacks: XdsWatchCallbacks): XdsWatch {
    const watch: FileWatch = { typeUrl, names: new Set(names), callbacks };
    this.watches.add(watch);
    this.unwatch ??= watchFile(this.path, () => this.read(), this.watchedDirectory);
    // After the caller's own work, as a response from a server would come.
    queueMicrotask(() => this.read(watch));
    return { cancel: () => void this.watches.delete(watch) };
  }

  stop(): void {
    this.unwatch?.();
    this.watches.clear();
  }

  /** Reads the file and gives each watch (or just `only`) its resources. */
  private read(only?: FileWatch): void {
    const targets = only ? [only] : [...this.watches];
    if (targets.length === 0 || (only && !this.watches.has(only))) return;
    let response: { version: string; resources: { typeUrl: string; resource: XdsResource }[] };
    try {
      response = parseDiscoveryResponse(readFileSync(this.path, 'utf8'), this.path);
    } catch (err) {
      this.log.warn(`xDS: cannot read ${this.path}: ${err instanceof Error ? err.message : String(err)}`);
      for (const watch of targets) watch.callbacks.onFailure('connection_failure');
      return;
    }
    for (const watch of targets) {
      const mine = response.resources.filter((r) => r.typeUrl === watch.typeUrl && (watch.names.size === 0 || watch.names.has(r.resource.name))).map((r) => r.resource);
      try {
        watch.callbacks.onUpdate(mine, response.version);
      } catch (err) {
        this.log.warn(`xDS: rejecting ${watch.typeUrl} from ${this.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

/** A DiscoveryResponse file's version and resources, each by its `@type` (unwrapped from `Resource`). */
function parseDiscoveryResponse(text: string, path: string): { version: string; resources: { typeUrl: string; resource: XdsResource }[] } {
  const plain = toPlain(parseConfigText(text, path));
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) throw new Error('expected a DiscoveryResponse (an object with resources)');
  const response = plain as Record<string, unknown>;
  const resources = response['resources'] ?? [];
  if (!Array.isArray(resources)) throw new Error('resources: expected a list');
  return {
    version: String(response['version_info'] ?? response['versionInfo'] ?? ''),
    resources: resources.map((entry: unknown, i) => {
      let body = entry as Record<string, unknown>;
      let name: unknown;
      if (body?.['@type'] === RESOURCE_WRAPPER) {
        name = body['name'];
        body = body['resource'] as Record<string, unknown>;
      }
      const typeUrl = body?.['@type'];
      if (typeof typeUrl !== 'string') throw new Error(`resources[${i}]: every resource needs its @type`);
      return { typeUrl, resource: { name: String(name ?? body['name'] ?? body['cluster_name'] ?? ''), body } };
    }),
  };
}
