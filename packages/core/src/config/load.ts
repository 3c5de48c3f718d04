import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { bootstrapSchema, type BootstrapConfig } from './envoy/bootstrap.js';
import { INVALID, ParseContext, type ParseServices } from './schema/types.js';
import { mergeConfig, parseConfigText, toPlain, type ConfigValue } from './tree.js';

/** A parsed bootstrap, the plain JSON it came from, and the parse state that locates it. */
export interface LoadedConfig {
  readonly bootstrap: BootstrapConfig;
  /** The config as written, for `/config_dump`. */
  readonly plain: Record<string, unknown>;
  /** Where each parsed object came from; later semantic checks report through it. */
  readonly parse: ParseContext;
}

export interface ConfigSource {
  /** `-c/--config-path`. */
  readonly path?: string | undefined;
  /** `--config-yaml`: merged over the file, as Envoy does. */
  readonly yaml?: string | undefined;
  /** Merged last, for command-line flags that override config fields (`--service-node`). */
  readonly overrides?: string | undefined;
}

/** Reads, merges and parses a bootstrap. Every problem found is in the thrown ConfigError. */
export function loadBootstrapConfig(source: ConfigSource, services: ParseServices): LoadedConfig {
  let tree: ConfigValue | undefined;
  if (source.path !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new ConfigError([{ path: '', message: `unable to read file: ${source.path} (${code})` }]);
    }
    tree = parseConfigText(text, source.path);
  }
  if (source.yaml !== undefined) {
    const overlay = parseConfigText(source.yaml, '--config-yaml');
    tree = tree ? mergeConfig(tree, overlay) : overlay;
  }
  if (!tree) {
    throw new ConfigError([{ path: '', message: 'At least one of --config-path or --config-yaml should be non-empty' }]);
  }
  if (source.overrides !== undefined) tree = mergeConfig(tree, parseConfigText(source.overrides, 'command line'));
  return parseBootstrapTree(tree, services);
}

export function parseBootstrapTree(tree: ConfigValue, services: ParseServices): LoadedConfig {
  const parse = new ParseContext(services);
  const bootstrap = bootstrapSchema.parse(tree, '', parse);
  if (bootstrap === INVALID || parse.issues.length > 0) throw new ConfigError(parse.issues);
  return { bootstrap, plain: toPlain(tree) as Record<string, unknown>, parse };
}
