/**
 * What a connection manager keeps per downstream connection: how many requests it has carried
 * (`max_requests_per_connection`) and its idle clock (`common_http_protocol_options
 * .idle_timeout`, default 1 h): it runs only while no request is open.
 */
export class DownstreamConnection {
  private requests = 0;
  private active = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly onIdle: () => void,
  ) {
    this.arm();
  }

  /** A request began; returns its ordinal on the connection (1 for the first). */
  streamStarted(): number {
    this.active++;
    this.disarm();
    return ++this.requests;
  }

  streamEnded(): void {
    if (--this.active === 0) this.arm();
  }

  closed(): void {
    this.disarm();
  }

  private arm(): void {
    if (this.idleTimeoutMs > 0) this.timer = setTimeout(this.onIdle, this.idleTimeoutMs);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
