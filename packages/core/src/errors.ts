/** Where in the configuration an issue was found. Lines and columns are 1-based. */
export interface SourcePosition {
  readonly file?: string;
  readonly line: number;
  readonly col: number;
}

/** One problem in a configuration: the field path, what is wrong, and how to fix it. */
export interface ConfigIssue {
  /** Field path as a user reads it: `static_resources.listeners[1].address`. */
  readonly path: string;
  readonly message: string;
  /** nodevoy's own words on how to fix it, when Envoy's message does not say. */
  readonly hint?: string;
  readonly position?: SourcePosition;
}

/** Base of every error nodevoy throws on purpose; `code` is stable and documented. */
export class NodevoyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Formats one issue as `file:line:col: path: message (fix)`, the way compilers report. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.position
    ? `${issue.position.file ?? '<config>'}:${issue.position.line}:${issue.position.col}: `
    : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  const hint = issue.hint ? ` (${issue.hint})` : '';
  return `${where}${path}${issue.message}${hint}`;
}

/** A configuration that cannot run. Carries every issue found, not just the first. */
export class ConfigError extends NodevoyError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('ERR_NODEVOY_CONFIG', issues.map(formatConfigIssue).join('\n'));
    this.issues = issues;
  }
}

/** An extension package that cannot be loaded into this core. */
export class ExtensionLoadError extends NodevoyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NODEVOY_EXTENSION_LOAD', message, options);
  }
}

/** Two extensions claimed the same `@type` URL, name or address kind. */
export class DuplicateExtensionError extends NodevoyError {
  constructor(message: string) {
    super('ERR_NODEVOY_DUPLICATE_EXTENSION', message);
  }
}

/** A listener socket could not be bound. */
export class ListenerBindError extends NodevoyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NODEVOY_LISTENER_BIND', message, options);
  }
}

/** Bytes a DataSource names cannot be had: the file is missing, the variable unset. */
export class DataSourceError extends NodevoyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NODEVOY_DATA_SOURCE', message, options);
  }
}
