/**
 * Counts the gRPC messages of a stream as its bytes pass (Envoy's `Grpc::FrameInspector`): each
 * message is a 5-byte prefix (flags, 32-bit length) and its bytes, split across chunks anyhow.
 */
export class GrpcMessageCounter {
  /** Bytes of the current frame still to skip, or the prefix bytes seen so far. */
  private remaining = 0;
  private readonly prefix = Buffer.alloc(5);
  private prefixBytes = 0;

  /** The messages whose prefix begins in `chunk`. */
  inspect(chunk: Buffer): number {
    let frames = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const skipped = Math.min(this.remaining, chunk.length - at);
        this.remaining -= skipped;
        at += skipped;
        continue;
      }
      if (this.prefixBytes === 0) frames++;
      const copied = Math.min(5 - this.prefixBytes, chunk.length - at);
      chunk.copy(this.prefix, this.prefixBytes, at, at + copied);
      this.prefixBytes += copied;
      at += copied;
      if (this.prefixBytes === 5) {
        this.remaining = this.prefix.readUInt32BE(1);
        this.prefixBytes = 0;
      }
    }
    return frames;
  }
}
