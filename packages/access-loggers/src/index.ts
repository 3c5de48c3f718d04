import { createWriteStream } from 'node:fs';
import {
  Category,
  DEFAULT_ACCESS_LOG_FORMAT,
  FormatError,
  compileFormat,
  compileSubstitutionFormat,
  extensionPackage,
  schema,
  substitutionFormatStringSchema,
  type AccessLogger,
  type AccessLoggerFactory,
  type CheckReporter,
  type Formatter,
  type MessageValue,
  type NodevoyExtension,
  type SubstitutionFormatStringConfig,
} from '@nodevoy/core';

/** The formatter of a logger: its `log_format` (or legacy `format`), else Envoy's default; missing values print `-`. */
function formatter(logFormat: SubstitutionFormatStringConfig | undefined, legacy?: string): Formatter {
  return logFormat ? compileSubstitutionFormat(logFormat, '-') : compileFormat(legacy ?? DEFAULT_ACCESS_LOG_FORMAT, '-');
}

/** Checks a log format at config time, as Envoy rejects an unknown operator. */
function checkFormat(compile: () => unknown, field: string, report: CheckReporter): void {
  try {
    compile();
  } catch (err) {
    if (err instanceof FormatError) report(field, err.message);
    else throw err;
  }
}

function checkLogFormat(logFormat: SubstitutionFormatStringConfig | undefined, report: CheckReporter): void {
  if (logFormat) checkFormat(() => compileSubstitutionFormat(logFormat), 'log_format', report);
}

const fileAccessLogSchema = schema.message(
  'envoy.extensions.access_loggers.file.v3.FileAccessLog',
  { path: schema.required(schema.string({ minLen: 1 })), log_format: substitutionFormatStringSchema, format: schema.string() },
  {
    oneofs: [{ fields: ['log_format', 'format'] }],
    unsupported: { json_format: 'use log_format with json_format', typed_json_format: 'use log_format with json_format' },
    check(value, report) {
      checkLogFormat(value.log_format, report);
      const legacy = value.format;
      if (legacy !== undefined) checkFormat(() => compileFormat(legacy), 'format', report);
    },
  },
);

const streamLogSchema = (typeName: string) =>
  schema.message(
    typeName,
    { log_format: substitutionFormatStringSchema },
    {
      check(value, report) {
        checkLogFormat(value.log_format, report);
      },
    },
  );
const stdoutSchema = streamLogSchema('envoy.extensions.access_loggers.stream.v3.StdoutAccessLog');
const stderrSchema = streamLogSchema('envoy.extensions.access_loggers.stream.v3.StderrAccessLog');

function streamLogger(stream: NodeJS.WritableStream, format: Formatter): AccessLogger {
  return { log: (context) => void stream.write(format(context)) };
}

/** `envoy.access_loggers.file`: appends each line to `path` (created if missing). */
export const fileAccessLogger: AccessLoggerFactory<MessageValue<typeof fileAccessLogSchema.fields>> = {
  name: 'envoy.access_loggers.file',
  category: Category.accessLogger,
  typeUrls: ['type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog'],
  configSchema: fileAccessLogSchema,
  createAccessLogger(config, server) {
    const format = formatter(config.log_format, config.format);
    if (server.mode === 'validate') return { log() {} };
    const file = createWriteStream(config.path, { flags: 'a' });
    file.on('error', (err) => server.log.warn(`access log '${config.path}': ${err.message}`));
    server.lifecycle.onShutdown(() => file.end());
    return streamLogger(file, format);
  },
};

/** A logger that writes to one of the process's standard streams. */
function standardStreamLogger(
  name: string,
  schema: typeof stdoutSchema,
  stream: NodeJS.WritableStream,
): AccessLoggerFactory<MessageValue<typeof stdoutSchema.fields>> {
  return {
    name,
    category: Category.accessLogger,
    typeUrls: [`type.googleapis.com/${schema.typeName}`],
    configSchema: schema,
    createAccessLogger: (config) => streamLogger(stream, formatter(config.log_format)),
  };
}

/** `envoy.access_loggers.stdout`. */
export const stdoutAccessLogger = standardStreamLogger('envoy.access_loggers.stdout', stdoutSchema, process.stdout);

/** `envoy.access_loggers.stderr`. */
export const stderrAccessLogger = standardStreamLogger('envoy.access_loggers.stderr', stderrSchema, process.stderr);

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(fileAccessLogger);
    registry.add(stdoutAccessLogger);
    registry.add(stderrAccessLogger);
  },
};
