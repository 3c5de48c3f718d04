/**
 * An idle timeout that costs one clock read per activity: the timer is not re-armed on every
 * chunk; when it fires it checks how long ago the last activity was and sleeps the rest.
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private lastActivity = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: () => void,
  ) {}

  start(): void {
    if (this.timeoutMs <= 0) return;
    this.lastActivity = performance.now();
    this.arm(this.timeoutMs);
  }

  touch(): void {
    this.lastActivity = performance.now();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      const idleFor = performance.now() - this.lastActivity;
      if (idleFor >= this.timeoutMs) {
        this.timer = undefined;
        this.onTimeout();
      } else {
        this.arm(this.timeoutMs - idleFor);
      }
    }, delayMs);
  }
}
