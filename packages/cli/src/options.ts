import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS, type LogLevel } from '@nodevoy/core';

export interface CliOptions {
  readonly configPath?: string;
  readonly configYaml?: string;
  readonly mode: 'serve' | 'validate' | 'init_only';
  readonly logLevel: LogLevel;
  readonly logPath?: string;
  readonly drainTimeS: number;
  readonly parentShutdownTimeS: number;
  readonly concurrency: number;
  readonly adminAddressPath?: string;
  readonly serviceCluster?: string;
  readonly serviceNode?: string;
  readonly serviceZone?: string;
  readonly extensions: readonly string[];
  /** nodevoy's own: with `--mode validate`, print the listener -> cluster -> internal listener graph. */
  readonly graph?: 'text' | 'mermaid' | 'dot';
}

const nonNegativeInt = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} needs a non-negative integer`);
  return n;
};

/** Envoy's command line, where its flags apply to nodevoy, plus `--extension`. */
export function createCommand(version: string): Command {
  return new Command()
    .name('nodevoy')
    .description('An Envoy-compatible proxy for Node.js: runs Envoy v3 YAML/JSON configs.')
    .helpOption('-h, --help', 'display help')
    .option('-c, --config-path <path>', 'path to a v3 bootstrap file (YAML or JSON)')
    .option('--config-yaml <yaml>', 'YAML merged over the file given with --config-path')
    .addOption(new Option('--mode <mode>', 'serve, validate the config, or initialize and exit').choices(['serve', 'validate', 'init_only']).default('serve'))
    .addOption(
      new Option('-l, --log-level <level>', 'log level')
        .choices([...LOG_LEVELS, 'warn'])
        .default('info'),
    )
    .option('--log-path <path>', 'write logs to this file instead of stderr')
    .option('--component-log-level <levels>', 'accepted for compatibility; nodevoy has one level')
    .option('--log-format <format>', 'accepted for compatibility; nodevoy uses Envoy\'s default format')
    .option('--drain-time-s <seconds>', 'how long a drain waits for connections to finish', nonNegativeInt('--drain-time-s'), 600)
    .option('--parent-shutdown-time-s <seconds>', 'accepted for compatibility (no hot restart)', nonNegativeInt('--parent-shutdown-time-s'), 900)
    .addOption(new Option('--drain-strategy <strategy>', 'accepted for compatibility').choices(['gradual', 'immediate']))
    .option('--concurrency <n>', 'number of worker processes (default: one per core, as Envoy)', nonNegativeInt('--concurrency'), availableParallelism())
    .option('--admin-address-path <path>', 'write the bound admin address to this file')
    .option('--service-cluster <name>', 'node.cluster')
    .option('--service-node <name>', 'node.id')
    .option('--service-zone <zone>', 'node.locality.zone')
    .option('--base-id <id>', 'accepted for compatibility (no hot restart)')
    .option('--use-dynamic-base-id', 'accepted for compatibility (no hot restart)')
    .option('--disable-hot-restart', 'accepted for compatibility (no hot restart)')
    .option('--restart-epoch <n>', 'accepted for compatibility (no hot restart)')
    .addOption(
      new Option('--graph [format]', 'with --mode validate: print the listener -> cluster -> internal listener graph (nodevoy only)')
        .choices(['text', 'mermaid', 'dot'])
        .preset('text'),
    )
    .option('--extension <module...>', 'load a nodevoy extension package (resolved from the config\'s directory)')
    .version(`nodevoy  version: ${version}`, '--version', 'print the version and exit')
    .allowExcessArguments(false);
}

export function toCliOptions(raw: Record<string, unknown>): CliOptions {
  const str = (key: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  return {
    configPath: str('configPath'),
    configYaml: str('configYaml'),
    mode: raw['mode'] as CliOptions['mode'],
    logLevel: raw['logLevel'] === 'warn' ? 'warning' : (raw['logLevel'] as LogLevel),
    logPath: str('logPath'),
    drainTimeS: raw['drainTimeS'] as number,
    parentShutdownTimeS: raw['parentShutdownTimeS'] as number,
    concurrency: Math.max(1, raw['concurrency'] as number),
    adminAddressPath: str('adminAddressPath'),
    serviceCluster: str('serviceCluster'),
    serviceNode: str('serviceNode'),
    serviceZone: str('serviceZone'),
    extensions: (raw['extension'] as string[] | undefined) ?? [],
    graph: raw['graph'] as CliOptions['graph'],
  };
}

/** `--service-node/-cluster/-zone` as a config overlay (they override `node`, as in Envoy). */
export function nodeOverrides(options: CliOptions): string | undefined {
  const node: Record<string, unknown> = {};
  if (options.serviceNode !== undefined) node['id'] = options.serviceNode;
  if (options.serviceCluster !== undefined) node['cluster'] = options.serviceCluster;
  if (options.serviceZone !== undefined) node['locality'] = { zone: options.serviceZone };
  return Object.keys(node).length > 0 ? JSON.stringify({ node }) : undefined;
}
