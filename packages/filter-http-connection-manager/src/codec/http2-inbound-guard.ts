const PREFACE_LENGTH = 24;
const FRAME_HEADER_LENGTH = 9;
const PING = 0x6;
const ACK = 0x1;

/**
 * Walks the frames a client sends on an HTTP/2 connection before node:http2 sees them, and takes
 * out what node:http2 mishandles: a PING with the ACK flag that answers nothing (RFC 9113 §6.7
 * says to ignore it; node:http2 tears the whole connection down with GOAWAY INTERNAL_ERROR, and
 * every stream on it with it). nodevoy's server sessions never send a PING, so every PING ACK
 * that arrives is one of those. Only frame headers are read; payloads pass as slices.
 */
export class Http2InboundGuard {
  private prefaceLeft = PREFACE_LENGTH;
  /** A frame header split across reads, kept until it is whole. */
  private header = Buffer.alloc(0);
  /** Payload bytes of the current frame still to come, and whether they are dropped. */
  private payloadLeft = 0;
  private dropping = false;

  /** The bytes of `chunk` to hand to node:http2, in order: slices of it, or the whole of it. */
  filter(chunk: Buffer): Buffer[] {
    const out = new Pieces(chunk);
    let offset = 0;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, chunk.length);
      out.keep(0, n);
      this.prefaceLeft -= n;
      offset = n;
    }
    while (offset < chunk.length) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - offset);
        if (!this.dropping) out.keep(offset, offset + n);
        this.payloadLeft -= n;
        offset += n;
        continue;
      }
      const start = offset;
      const take = Math.min(FRAME_HEADER_LENGTH - this.header.length, chunk.length - offset);
      offset += take;
      const carried = this.header.length > 0;
      const header = carried ? Buffer.concat([this.header, chunk.subarray(start, offset)]) : chunk.subarray(start, offset);
      if (header.length < FRAME_HEADER_LENGTH) {
        this.header = Buffer.from(header);
        break;
      }
      this.header = Buffer.alloc(0);
      this.payloadLeft = header.readUIntBE(0, 3);
      this.dropping = header[3] === PING && ((header[4] ?? 0) & ACK) !== 0;
      if (this.dropping) continue;
      if (carried) out.add(header);
      else out.keep(start, offset);
    }
    return out.done();
  }
}

/** Output slices of one chunk, contiguous ranges merged (no drop, no split: the chunk itself). */
class Pieces {
  private readonly out: Buffer[] = [];
  private from = -1;
  private to = -1;

  constructor(private readonly chunk: Buffer) {}

  keep(start: number, end: number): void {
    if (start === this.to) {
      this.to = end;
      return;
    }
    this.flush();
    this.from = start;
    this.to = end;
  }

  add(buffer: Buffer): void {
    this.flush();
    this.out.push(buffer);
  }

  done(): Buffer[] {
    this.flush();
    return this.out;
  }

  private flush(): void {
    if (this.to > this.from) this.out.push(this.from === 0 && this.to === this.chunk.length ? this.chunk : this.chunk.subarray(this.from, this.to));
    this.from = this.to = -1;
  }
}
