import { watchFile, type SecretSubscription, type ServerContext } from '@nodevoy/core';
import type { CertificateValidationContextConfig, CommonTlsContextConfig, SdsSecretConfig, TlsCertificateConfig } from '../config/common.js';
import type { SecretConfig } from '../config/contexts.js';
import { certificateFiles, loadCertificate, type CertificateMaterial } from './certificate.js';
import { Derived, fixed, type Live } from './live.js';
import { TlsMaterialError } from './material-error.js';
import { loadValidation, mergeValidationConfigs, validationFiles, type ValidationMaterial } from './validation.js';

/** What loading one piece of material gives: the material, and the files to watch for it. */
interface Loaded<T> {
  readonly value: T;
  readonly files: readonly string[];
  readonly watchedDirectory?: string;
}

/**
 * The certificates of a CommonTlsContext: inline ones (read once, at config time, problems
 * reported with their field paths), or SDS secrets by name, static or from files.
 */
export function certificatesOf(common: CommonTlsContextConfig | undefined, server: ServerContext): Live<CertificateMaterial[]> {
  const inline = common?.tls_certificates ?? [];
  if (inline.length > 0) return fixed(inline.flatMap((config) => atConfigTime(server, config, () => loadCertificate(config)) ?? []));
  const sources = (common?.tls_certificate_sds_secret_configs ?? []).map((sds) =>
    fromSecret(sds, server, 'tls_certificate', (secret) => loadedCertificate(secret.tls_certificate as TlsCertificateConfig)),
  );
  return new Derived(sources, () => sources.flatMap((source) => source.current() ?? []));
}

/** The validation context of a CommonTlsContext, inline, by SDS, or combined (a default merged with SDS). */
export function validationOf(common: CommonTlsContextConfig | undefined, server: ServerContext): Live<ValidationMaterial | undefined> {
  if (common?.validation_context) {
    const config = common.validation_context;
    return fixed(atConfigTime(server, config, () => loadValidation(config)));
  }
  if (common?.validation_context_sds_secret_config) {
    return fromSecret(common.validation_context_sds_secret_config, server, 'validation_context', (secret) =>
      loadedValidation(secret.validation_context as CertificateValidationContextConfig),
    );
  }
  const combined = common?.combined_validation_context;
  if (combined) {
    return fromSecret(combined.validation_context_sds_secret_config, server, 'validation_context', (secret) =>
      loadedValidation(mergeValidationConfigs(combined.default_validation_context, secret.validation_context as CertificateValidationContextConfig)),
    );
  }
  return fixed(undefined);
}

function loadedCertificate(config: TlsCertificateConfig): Loaded<CertificateMaterial> {
  return { value: loadCertificate(config), files: certificateFiles(config), ...(config.watched_directory ? { watchedDirectory: config.watched_directory.path } : {}) };
}

function loadedValidation(config: CertificateValidationContextConfig): Loaded<ValidationMaterial> {
  return { value: loadValidation(config), files: validationFiles(config), ...(config.watched_directory ? { watchedDirectory: config.watched_directory.path } : {}) };
}

/** Loads material from config now; a problem is a config issue at `config`'s field. */
function atConfigTime<T>(server: ServerContext, config: object, load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof TlsMaterialError)) throw err;
    server.configIssue(config, err.field, err.message);
    return undefined;
  }
}

type SecretKind = 'tls_certificate' | 'validation_context';

/**
 * Material from a secret named by an SdsSecretConfig: a static secret (no `sds_config`; it must
 * exist, of the right kind, and load), or an SDS subscription, reloaded when its file changes and
 * when the files it names change (certificate rotation on disk).
 */
function fromSecret<T>(sds: SdsSecretConfig, server: ServerContext, kind: SecretKind, load: (secret: SecretConfig) => Loaded<T>): Live<T> {
  if (!sds.sds_config) {
    const secret = server.secrets.staticSecret<SecretConfig>(sds.name);
    if (!secret) {
      server.configIssue(sds, 'name', `Unknown static secret: ${sds.name}`);
      return fixed<T>(undefined);
    }
    if (!secret[kind]) {
      server.configIssue(sds, 'name', `secret '${sds.name}' is not a ${kind} secret`);
      return fixed<T>(undefined);
    }
    return fixed(atConfigTime(server, secret[kind] as object, () => load(secret).value));
  }
  return new SdsMaterial(server.secrets.fileSecret<SecretConfig>(sds.name, sds.sds_config), server, kind, load);
}

/** One SDS secret's material: reloaded on each update, its files watched; a bad update keeps the last good one. */
class SdsMaterial<T> implements Live<T> {
  private value: T | undefined;
  private readonly listeners: (() => void)[] = [];
  private unwatch: (() => void)[] = [];

  constructor(
    private readonly subscription: SecretSubscription<SecretConfig>,
    private readonly server: ServerContext,
    private readonly kind: SecretKind,
    private readonly load: (secret: SecretConfig) => Loaded<T>,
  ) {
    subscription.onUpdate(() => this.reload());
    server.lifecycle.onShutdown(() => this.stopWatching());
    this.reload();
  }

  current(): T | undefined {
    return this.value;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private reload(): void {
    const secret = this.subscription.current();
    if (!secret) return;
    const name = this.subscription.name;
    if (!secret[this.kind]) {
      this.server.log.warn(`sds secret '${name}' is not a ${this.kind} secret: ignored`);
      return;
    }
    let loaded: Loaded<T>;
    try {
      loaded = this.load(secret);
    } catch (err) {
      if (!(err instanceof TlsMaterialError)) throw err;
      this.server.log.warn(`sds secret '${name}': ${err.field}: ${err.message}${this.value === undefined ? '' : ' (the last good one stays)'}`);
      return;
    }
    this.value = loaded.value;
    this.watch(loaded);
    for (const listener of this.listeners) listener();
  }

  private watch(loaded: Loaded<T>): void {
    this.stopWatching();
    if (this.server.mode !== 'serve') return;
    const paths = loaded.watchedDirectory !== undefined ? [loaded.files[0]].filter((p) => p !== undefined) : loaded.files;
    this.unwatch = paths.map((path) => watchFile(path, () => this.reload(), loaded.watchedDirectory));
  }

  private stopWatching(): void {
    for (const stop of this.unwatch) stop();
    this.unwatch = [];
  }
}
