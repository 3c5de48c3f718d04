import { createWriteStream } from 'node:fs';
import { CommanderError } from 'commander';
import {
  ConfigError,
  Logger,
  NodevoyError,
  Server,
  formatConfigIssue,
  loadBootstrapConfig,
  renderGraphDot,
  renderGraphMermaid,
  renderGraphText,
  stderrSink,
  type LogSink,
} from '@nodevoy/core';
import { createBundledRegistry } from './bundled-extensions.js';
import { loadExtension } from './load-extension.js';
import { createCommand, nodeOverrides, toCliOptions, type CliOptions } from './options.js';
import { BUILD_VERSION } from './version.js';
import { runPrimary } from './workers/primary.js';
import { serveAsWorker, workerPlacement } from './workers/worker.js';

/** Where the CLI writes what it says to people (tests can capture it). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Installs a handler for SIGTERM/SIGINT; returns nothing. */
  readonly onSignal: (handler: (signal: string) => void) => void;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  onSignal: (handler) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => handler(signal));
  },
};

/** Runs the `nodevoy` command; resolves with the exit code. */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const command = createCommand(BUILD_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  let options: CliOptions;
  try {
    command.parse(argv as string[], { from: 'user' });
    options = toCliOptions(command.opts());
    if (options.graph && options.mode !== 'validate') command.error('error: --graph works with --mode validate', { exitCode: 1 });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }

  const sink: LogSink = options.logPath ? fileSink(options.logPath) : stderrSink;
  const log = Logger.create(options.logLevel, sink);
  const configName = options.configPath ?? '--config-yaml';
  try {
    const registry = createBundledRegistry();
    for (const specifier of options.extensions) {
      const extension = await loadExtension(specifier, options.configPath, registry);
      log.info(`loaded extension ${extension.name}`);
    }
    const config = loadBootstrapConfig({ path: options.configPath, yaml: options.configYaml, overrides: nodeOverrides(options) }, registry);
    const worker = workerPlacement();
    const primary = options.mode === 'serve' && options.concurrency > 1 && !worker;
    const server = new Server({
      registry,
      config,
      log,
      // The primary of several workers only checks the config: the workers serve it.
      mode: options.mode === 'validate' || primary ? 'validate' : 'serve',
      drainTimeMs: options.drainTimeS * 1000,
      version: BUILD_VERSION,
      commandLineOptions: commandLineOptions(options),
      adminAddressPath: options.adminAddressPath,
      ...(worker ? { worker } : {}),
    });
    if (primary) {
      const admin = config.bootstrap.admin?.address?.socket_address;
      return await runPrimary({
        workers: options.concurrency,
        admin: admin ? { host: admin.address, port: admin.port_value ?? 0 } : undefined,
        adminAddressPath: options.adminAddressPath,
        log,
        onSignal: io.onSignal,
        stats: { sinks: server.createStatsSinks(), flushIntervalMs: server.statsFlushIntervalMs },
      });
    }
    if (options.mode === 'validate') {
      if (options.graph) io.stdout(GRAPH_RENDERERS[options.graph](server.graph));
      io.stdout(`configuration '${configName}' OK\n`);
      return 0;
    }
    await server.start();
    if (options.mode === 'init_only') {
      server.stop();
      return 0;
    }
    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      log.warn(`caught ${signal}`);
      if (signals === 1) void server.drainAndStop();
      else server.stop();
    };
    // A worker takes its signals from its primary; a single process from the system.
    if (worker) serveAsWorker(server, onSignal);
    else io.onSignal(onSignal);
    const code = await server.waitForExit();
    log.info('exiting');
    return code;
  } catch (err) {
    return reportFailure(err, configName, io);
  }
}

function reportFailure(err: unknown, configName: string, io: CliIo): number {
  if (err instanceof ConfigError) {
    const count = err.issues.length;
    io.stderr(`error initializing configuration '${configName}': ${count} problem${count === 1 ? '' : 's'}\n`);
    for (const issue of err.issues) io.stderr(`${formatConfigIssue(issue)}\n`);
    return 1;
  }
  if (err instanceof NodevoyError) {
    io.stderr(`error: ${err.message}\n`);
    return 1;
  }
  io.stderr(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

const GRAPH_RENDERERS = { text: renderGraphText, mermaid: renderGraphMermaid, dot: renderGraphDot } as const;

function fileSink(path: string): LogSink {
  const stream = createWriteStream(path, { flags: 'a' });
  return { write: (line) => void stream.write(line) };
}

/** `/server_info` `command_line_options`, with Envoy's keys. */
function commandLineOptions(options: CliOptions): Record<string, unknown> {
  return {
    config_path: options.configPath ?? '',
    config_yaml: options.configYaml ?? '',
    mode: options.mode === 'serve' ? 'Serve' : options.mode === 'validate' ? 'Validate' : 'InitOnly',
    log_level: options.logLevel,
    log_path: options.logPath ?? '',
    drain_time: `${options.drainTimeS}s`,
    parent_shutdown_time: `${options.parentShutdownTimeS}s`,
    concurrency: options.concurrency,
    admin_address_path: options.adminAddressPath ?? '',
    service_cluster: options.serviceCluster ?? '',
    service_node: options.serviceNode ?? '',
    service_zone: options.serviceZone ?? '',
    disable_hot_restart: true,
  };
}
