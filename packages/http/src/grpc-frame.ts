/** One gRPC message in its length-prefixed frame: not compressed, its length, the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The message of a body's first frame; undefined when that frame is compressed or incomplete. */
export function firstGrpcMessage(body: Buffer): Buffer | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const end = 5 + body.readUInt32BE(1);
  return body.length >= end ? body.subarray(5, end) : undefined;
}
