import type { HeaderMap } from './headers.js';

/** Bytes a header must not carry on the wire: they would end it (request or response splitting). */
export const UNSAFE_HEADER_VALUE = /[\r\n\0]/;

const CRLF = Buffer.from('\r\n');

/** The last chunk of a chunked HTTP/1.1 body, without trailers. */
export const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** One chunk of a chunked HTTP/1.1 body: size line, data, CRLF. */
export function chunkOf(data: Buffer): Buffer[] {
  return [Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF];
}

/** The last chunk with trailer fields (`0`, the fields, an empty line). */
export function lastChunkWithTrailers(trailers: HeaderMap): Buffer {
  let text = '0\r\n';
  for (const [name, value] of trailers) if (name.charCodeAt(0) !== 58 /* ':' */ && !UNSAFE_HEADER_VALUE.test(value)) text += `${name}: ${value}\r\n`;
  return Buffer.from(`${text}\r\n`, 'latin1');
}
