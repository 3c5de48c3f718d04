import { readFileSync } from 'node:fs';
import type { ConfigSourceConfig } from '../config/envoy/config-source.js';
import { configSourceFile } from '../config/envoy/config-source.js';
import { watchFile } from '../config/file-watch.js';
import type { TypedConfig } from '../config/schema/any.js';
import type { Logger } from '../log/logger.js';
import type { StatsStore } from '../stats/store.js';
import type { ParseServices } from '../config/schema/types.js';
import { createStatsSet } from '../stats/store.js';
import { parseResourceFile } from './resource-file.js';

/** The `@type` of Envoy's secrets (TLS certificates, validation contexts, session ticket keys). */
export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** A secret as its extension parsed it; core reads only its name. */
export type Secret = { readonly name: string };

/** One secret by name: what it is now, and a call each time it changes (SDS). */
export interface SecretSubscription<T extends Secret = Secret> {
  readonly name: string;
  /** Undefined until a valid secret has been read. */
  current(): T | undefined;
  onUpdate(listener: (secret: T) => void): void;
}

/**
 * The server's secrets (Envoy's SecretManager): static ones from `static_resources.secrets`,
 * and SDS secrets from files, each file read at startup and again whenever it changes. A file
 * that no longer parses, or does not hold exactly the secret asked for, is rejected and the last
 * good secret stays (`sds.<name>.update_rejected`). The secret's schema is its extension's (the
 * TLS transport socket registers it); core only reads and watches.
 */
export class SecretManager {
  private readonly statics = new Map<string, Secret>();
  private readonly fileSubscriptions = new Map<string, FileSecret>();

  constructor(
    private readonly services: ParseServices,
    private readonly stats: StatsStore,
    private readonly log: Logger,
    private readonly watch: boolean,
  ) {}

  addStatic(secrets: readonly TypedConfig[]): void {
    for (const secret of secrets) {
      const value = secret.config as Secret;
      this.statics.set(value.name, value);
    }
  }

  /** A secret from `static_resources.secrets`. */
  staticSecret<T extends Secret>(name: string): T | undefined {
    return this.statics.get(name) as T | undefined;
  }

  /** A secret served from a file (SDS over `path_config_source`); one subscription per name and file. */
  fileSecret<T extends Secret>(name: string, source: ConfigSourceConfig): SecretSubscription<T> {
    const file = configSourceFile(source);
    const key = `${name}\u0000${file.path}`;
    let subscription = this.fileSubscriptions.get(key);
    if (!subscription) {
      subscription = new FileSecret(name, file.path, this.services, this.stats, this.log);
      if (this.watch) subscription.watch(file.watchedDirectory);
      this.fileSubscriptions.set(key, subscription);
    }
    return subscription as unknown as SecretSubscription<T>;
  }

  stop(): void {
    for (const subscription of this.fileSubscriptions.values()) subscription.stop();
  }
}

class FileSecret implements SecretSubscription {
  private value: Secret | undefined;
  private readonly listeners: ((secret: Secret) => void)[] = [];
  private readonly stats;
  private unwatch: (() => void) | undefined;

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly services: ParseServices,
    stats: StatsStore,
    private readonly log: Logger,
  ) {
    this.stats = createStatsSet(stats.scope(`sds.${name}.`), { counters: ['update_attempt', 'update_success', 'update_rejected', 'update_failure'] as const });
    this.load();
  }

  current(): Secret | undefined {
    return this.value;
  }

  onUpdate(listener: (secret: Secret) => void): void {
    this.listeners.push(listener);
  }

  watch(watchedDirectory: string | undefined): void {
    this.unwatch = watchFile(this.path, () => this.reload(), watchedDirectory);
  }

  stop(): void {
    this.unwatch?.();
  }

  private reload(): void {
    if (!this.load()) return;
    const secret = this.value as Secret;
    for (const listener of this.listeners) listener(secret);
  }

  /** Reads the file; true when it held a new valid secret. */
  private load(): boolean {
    this.stats.update_attempt.inc();
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.stats.update_failure.inc();
      this.log.warn(`sds secret '${this.name}': cannot read ${this.path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return false;
    }
    const parsed = parseResourceFile(text, this.path, this.services);
    const problem =
      parsed.issues[0]?.message ??
      (parsed.resources.length !== 1
        ? `Unexpected SDS secrets length: ${parsed.resources.length}`
        : (parsed.resources[0]?.config as Secret).name !== this.name
          ? `Unexpected SDS secret (expecting ${this.name}): ${(parsed.resources[0]?.config as Secret).name}`
          : undefined);
    if (problem !== undefined) {
      this.stats.update_rejected.inc();
      this.log.warn(`sds secret '${this.name}' from ${this.path} rejected: ${problem}${this.value ? ' (the last good secret stays)' : ''}`);
      return false;
    }
    this.value = parsed.resources[0]?.config as Secret;
    this.stats.update_success.inc();
    return true;
  }
}
