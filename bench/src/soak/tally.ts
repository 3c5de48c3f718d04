/**
 * What the soak saw: exchanges that completed and verified, outcomes that are the chaos doing
 * its job (an upstream killed, a reset asked for, a client that gave up), outcomes nothing
 * explains, and violations: an answer acknowledged whose bytes are not what was sent.
 */
export type Upstream = 'http' | 'echo';
export interface Mark {
  readonly upstream: Upstream;
  readonly at: number;
}

export class Tally {
  completed = 0;
  bytesVerified = 0;
  readonly outcomes = new Map<string, number>();
  readonly violations: string[] = [];
  /**
   * Per upstream, bumped by the chaos loop when it is killed and again when it is back (odd:
   * dead now). An exchange that met a dead upstream may fail; that is the chaos, not a bug.
   */
  readonly epochs = { http: 0, echo: 0 };

  mark(upstream: Upstream): Mark {
    return { upstream, at: this.epochs[upstream] };
  }

  /** The upstream was dead when the exchange began, or died or came back since. */
  chaosSince(mark: Mark): boolean {
    return mark.at % 2 === 1 || this.epochs[mark.upstream] !== mark.at;
  }

  ok(bytes: number): void {
    this.completed++;
    this.bytesVerified += bytes;
  }

  /** An outcome that is not a verified exchange, by kind; `explained` when the chaos caused it. */
  outcome(kind: string, explained: boolean): void {
    const key = `${kind} (${explained ? 'chaos' : 'unexplained'})`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  violation(what: string): void {
    if (this.violations.length < 50) this.violations.push(what);
    else this.violations[49] = `... and more (${what})`;
  }
}
