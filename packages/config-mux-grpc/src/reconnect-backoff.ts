/** Envoy's xDS retry back-off: jittered exponential from 500 ms up to 30 s. */
const BASE_MS = 500;
const MAX_MS = 30_000;

export class ReconnectBackoff {
  private attempts = 0;

  /** The next delay: uniform in [0, min(max, base * 2^attempts)). */
  next(): number {
    const ceiling = Math.min(MAX_MS, BASE_MS * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 16);
    return Math.floor(Math.random() * ceiling);
  }

  reset(): void {
    this.attempts = 0;
  }
}
