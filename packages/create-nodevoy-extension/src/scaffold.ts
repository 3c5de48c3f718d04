import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ScaffoldError, extensionNames } from './names.js';
import { packageFiles, type ExtensionKind, type ToolVersions } from './templates.js';

export interface ScaffoldOptions {
  /** Where the package goes; it must not exist or be empty. */
  readonly directory: string;
  readonly kind: ExtensionKind;
  /** npm package name; default: the directory's name. */
  readonly packageName?: string;
  /** The name configs use; default `nodevoy.contrib.<name>`. */
  readonly extensionName?: string;
}

/** The tool versions scaffolded packages use: nodevoy's own release line, and the stack it is built with. */
export const TOOL_VERSIONS: ToolVersions = { nodevoy: '^0.1.0', tap: '^21.8.0', tsup: '^8.5.1', typescript: '^5.9.3', nodeTypes: '^20.19.0' };

/** Writes a new extension package; returns the paths written, relative to it. */
export function scaffold(options: ScaffoldOptions): string[] {
  const directory = resolve(options.directory);
  if (existsSync(directory) && readdirSync(directory).length > 0) throw new ScaffoldError(`${options.directory} is not empty: choose a new directory`);
  const names = extensionNames(options.packageName ?? basename(directory), options.extensionName);
  const files = packageFiles(options.kind, names, TOOL_VERSIONS);
  for (const [path, text] of Object.entries(files)) {
    const target = join(directory, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return Object.keys(files);
}
