import type { HeaderMap } from '@nodevoy/http';

/** The flag byte of the frame that carries the trailers in a gRPC-Web body. */
const TRAILER_FRAME = 0x80;
const BASE64_GROUP = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Thrown for a `grpc-web-text` body that is not base64. */
export class Base64BodyError extends Error {
  constructor(readonly details: 'grpc_base_64_decode_failed_bad_size' | 'grpc_base_64_decode_failed') {
    super('Bad gRPC-web request, invalid base64 data.');
  }
}

/**
 * A `grpc-web-text` request body, decoded as it streams: whole groups of four characters
 * are decoded, the rest waits for the next chunk; at the end, a remainder is an error (padding
 * is mandatory), as is anything that is not base64.
 */
export class Base64BodyDecoder {
  private pending = '';

  decode(chunk: Buffer, endStream: boolean): Buffer {
    const text = this.pending + chunk.toString('latin1');
    if (endStream && text.length % 4 !== 0) throw new Base64BodyError('grpc_base_64_decode_failed_bad_size');
    const whole = text.length - (text.length % 4);
    this.pending = text.slice(whole);
    const groups = text.slice(0, whole);
    if (groups === '') return Buffer.alloc(0);
    const decoded = BASE64_GROUP.test(groups) ? Buffer.from(groups, 'base64') : Buffer.alloc(0);
    if (decoded.length === 0) throw new Base64BodyError('grpc_base_64_decode_failed');
    return decoded;
  }
}

/**
 * A gRPC response body as `grpc-web-text`: each whole length-prefixed frame base64-encoded on
 * its own (as Envoy encodes them), a partial frame kept until the rest arrives.
 */
export class Base64FrameEncoder {
  private pending = Buffer.alloc(0);

  encode(chunk: Buffer): Buffer {
    let bytes = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: string[] = [];
    while (bytes.length >= 5 && bytes.length >= 5 + bytes.readUInt32BE(1)) {
      const end = 5 + bytes.readUInt32BE(1);
      out.push(bytes.subarray(0, end).toString('base64'));
      bytes = bytes.subarray(end);
    }
    this.pending = Buffer.from(bytes);
    return Buffer.from(out.join(''), 'latin1');
  }
}

/** The trailers as gRPC-Web's last frame: flag 0x80, length, `name:value\r\n` lines. */
export function trailerFrame(trailers: HeaderMap): Buffer {
  const lines = Buffer.from([...trailers].map(([name, value]) => `${name}:${value}\r\n`).join(''), 'latin1');
  const frame = Buffer.alloc(5 + lines.length);
  frame[0] = TRAILER_FRAME;
  frame.writeUInt32BE(lines.length, 1);
  lines.copy(frame, 5);
  return frame;
}
