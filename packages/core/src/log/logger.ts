/** Envoy's log levels, in order. `-l/--log-level` takes these names. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogSink {
  write(line: string): void;
}

/**
 * A logger writing Envoy's line format, `[time][pid][level][component] message`, so tools
 * that read Envoy logs read nodevoy's. Components share the level and sink of their root.
 */
export class Logger {
  private constructor(
    private readonly root: { level: number; sink: LogSink },
    readonly component: string,
  ) {}

  static create(level: LogLevel, sink: LogSink, component = 'main'): Logger {
    return new Logger({ level: LOG_LEVELS.indexOf(level), sink }, component);
  }

  child(component: string): Logger {
    return new Logger(this.root, component);
  }

  get level(): LogLevel {
    return LOG_LEVELS[this.root.level] ?? 'info';
  }

  setLevel(level: LogLevel): void {
    this.root.level = LOG_LEVELS.indexOf(level);
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.root.level && this.root.level < LOG_LEVELS.indexOf('off');
  }

  trace(message: string): void {
    this.log('trace', message);
  }

  debug(message: string): void {
    this.log('debug', message);
  }

  info(message: string): void {
    this.log('info', message);
  }

  warn(message: string): void {
    this.log('warning', message);
  }

  error(message: string): void {
    this.log('error', message);
  }

  critical(message: string): void {
    this.log('critical', message);
  }

  private log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.root.sink.write(`[${timestamp()}][${process.pid}][${level}][${this.component}] ${message}\n`);
  }
}

function timestamp(): string {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A sink writing to stderr, where Envoy logs by default. */
export const stderrSink: LogSink = { write: (line) => void process.stderr.write(line) };
