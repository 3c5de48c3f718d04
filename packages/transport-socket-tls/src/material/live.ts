/**
 * Part of a TLS context that may change while the server runs (a secret from SDS, a certificate
 * file rotated on disk): what it is now, and a call each time it changes.
 */
export interface Live<T> {
  current(): T | undefined;
  onChange(listener: () => void): void;
}

/** A value that never changes (inline config, a static secret); undefined when it could not be had. */
export function fixed<T>(value: T | undefined): Live<T> {
  return { current: () => value, onChange: () => {} };
}

/** A Live whose value is recomputed on demand after any of its sources changed. */
export class Derived<T> implements Live<T> {
  private value: T | undefined;
  private stale = true;
  private readonly listeners: (() => void)[] = [];

  constructor(
    sources: readonly Live<unknown>[],
    private readonly compute: () => T | undefined,
  ) {
    for (const source of sources) source.onChange(() => this.invalidate());
  }

  current(): T | undefined {
    if (this.stale) {
      this.value = this.compute();
      this.stale = false;
    }
    return this.value;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private invalidate(): void {
    this.stale = true;
    for (const listener of this.listeners) listener();
  }
}
