/** What the account needs from a connection it counts. */
export interface AccountedConnection {
  /** Recomputes the bytes this connection holds now, records it, and returns it. */
  recountHeldBytes(): number;
  readDisable(disable: boolean): void;
  /** False for an in-process pair end: its reads move bytes the account already holds. */
  readonly readsIntoProcess: boolean;
}

/**
 * The bytes held in buffers across every connection and internal hop of a server (write
 * buffers, in-process pair buffers, data a paused filter holds), kept up to date as each
 * connection writes, reads and drains. Connections only ever over-report between recounts
 * (a drain they were not told about), so the total is an upper bound. Crossing a watched level
 * calls the watcher synchronously, before more data is read; `pauseReads` stops every
 * connection that reads from a kernel socket (new ones included) until `resumeReads`. Reads
 * between internal hops go on: they bring no new bytes in, and they let what is held move on
 * towards the clients that drain it.
 */
export class BufferAccount {
  private total = 0;
  private readonly members = new Set<AccountedConnection>();
  private readonly pausedMembers = new Set<AccountedConnection>();
  private paused = false;
  private levels: readonly number[] = [];
  private level = 0;
  private onLevelChange: (() => void) | undefined;
  /** The total at which the level goes up, and below which it goes down: one comparison per change. */
  private nextUp = Infinity;
  private nextDown = -Infinity;

  get heldBytes(): number {
    return this.total;
  }

  get connections(): number {
    return this.members.size;
  }

  join(member: AccountedConnection): void {
    this.members.add(member);
    if (this.paused) this.pause(member);
  }

  leave(member: AccountedConnection, lastHeld: number): void {
    if (!this.members.delete(member)) return;
    this.pausedMembers.delete(member);
    this.add(-lastHeld);
  }

  /** A member's held bytes changed by `delta`. */
  add(delta: number): void {
    this.total += delta;
    if (this.total >= this.nextUp || this.total < this.nextDown) this.updateLevel();
  }

  /** Recounts every member exactly (what they did not report, such as drains, is caught up). */
  recount(): number {
    let total = 0;
    for (const member of this.members) total += member.recountHeldBytes();
    this.total = total;
    this.updateLevel();
    return total;
  }

  /** Calls `onChange` whenever the total moves across one of `levels` (in bytes). */
  watch(levels: readonly number[], onChange: () => void): void {
    this.levels = [...levels].sort((a, b) => a - b);
    this.onLevelChange = onChange;
    this.level = -1;
    this.updateLevel();
  }

  pauseReads(): void {
    if (this.paused) return;
    this.paused = true;
    for (const member of this.members) this.pause(member);
  }

  resumeReads(): void {
    if (!this.paused) return;
    this.paused = false;
    const paused = [...this.pausedMembers];
    this.pausedMembers.clear();
    for (const member of paused) member.readDisable(false);
  }

  private pause(member: AccountedConnection): void {
    if (!member.readsIntoProcess || this.pausedMembers.has(member)) return;
    this.pausedMembers.add(member);
    member.readDisable(true);
  }

  private updateLevel(): void {
    let level = 0;
    while (level < this.levels.length && this.total >= (this.levels[level] as number)) level++;
    this.nextUp = this.levels[level] ?? Infinity;
    this.nextDown = level > 0 ? (this.levels[level - 1] as number) : -Infinity;
    if (level === this.level) return;
    this.level = level;
    this.onLevelChange?.();
  }
}
