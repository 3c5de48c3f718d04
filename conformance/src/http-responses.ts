import { brotliDecompressSync, gunzipSync } from 'node:zlib';

/**
 * HTTP/1.1 responses read off a client connection, in a form two proxies' answers can be
 * compared by value: the status line, the headers as `name: value` (names lower-cased, sorted;
 * values that differ on every run masked), and the body.
 */
export interface HttpResponseObservation {
  readonly status: string;
  readonly headers: readonly string[];
  readonly body: string;
}

/** Headers whose values change on every run (or with timing): compared by presence only. */
const VOLATILE = new Set(['date', 'x-envoy-upstream-service-time', 'x-request-id', 'x-ratelimit-reset']);

/** Raw bytes with the values of volatile HTTP header lines masked, so a hash of them compares. */
export function maskVolatileHeaderLines(data: Buffer): Buffer {
  const text = data.toString('latin1');
  const masked = text.replace(/^([A-Za-z-]+): [^\r\n]*\r$/gm, (line, name: string) => (VOLATILE.has(name.toLowerCase()) ? `${name}: <varies>\r` : line));
  return masked === text ? data : Buffer.from(masked, 'latin1');
}

interface RawResponse {
  readonly status: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  /** Framed and fully received (a response that runs to the end of the stream never is). */
  readonly complete: boolean;
}

/**
 * Splits a byte stream into responses: content-length and chunked bodies are framed; a
 * response with neither (a CONNECT's 200, a close-delimited body) takes the rest of the stream.
 * 1xx, 204 and 304 answers have no body, nor has the answer to a HEAD (`methods`: the methods of
 * the requests sent, in order).
 */
function splitResponses(text: string, methods: readonly string[] = []): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  let answered = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd < 0) {
      out.push({ status: '(incomplete head)', headers: [], body: text.slice(at), complete: false });
      break;
    }
    const [status = '', ...lines] = text.slice(at, headEnd).split('\r\n');
    const headers = lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
    });
    const header = (name: string) => headers.find(([n]) => n === name)?.[1];
    const bodyStart = headEnd + 4;
    const length = header('content-length');
    const code = Number(status.split(' ')[1]);
    const interim = code >= 100 && code < 200 && code !== 101;
    const toHead = !interim && methods[answered] === 'HEAD';
    if (!interim) answered++;
    if (interim || code === 204 || code === 304 || toHead) {
      out.push({ status, headers, body: '', complete: true });
      at = bodyStart;
    } else if (length !== undefined) {
      const end = bodyStart + Number(length);
      out.push({ status, headers, body: text.slice(bodyStart, end), complete: text.length >= end });
      at = end;
    } else if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
      const { body, next, complete } = readChunks(text, bodyStart);
      out.push({ status, headers, body, complete });
      at = next;
    } else {
      out.push({ status, headers, body: text.slice(bodyStart), complete: false });
      at = text.length;
    }
  }
  return out;
}

function readChunks(text: string, from: number): { body: string; next: number; complete: boolean } {
  let body = '';
  let at = from;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd < 0) return { body, next: text.length, complete: false };
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (size === 0) {
      const end = text.indexOf('\r\n', lineEnd + 2);
      return end < 0 ? { body, next: text.length, complete: false } : { body, next: end + 2, complete: true };
    }
    if (!(size > 0) || text.length < lineEnd + 2 + size + 2) return { body, next: text.length, complete: false };
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

export function parseHttpResponses(data: Buffer, methods?: readonly string[]): HttpResponseObservation[] {
  return splitResponses(data.toString('latin1'), methods).map((r) => ({
    status: r.status,
    // Framing headers compare too: nodevoy's HTTP/1.1 codec frames as Envoy's does.
    headers: r.headers
      .map(([name, value]) => `${name}: ${VOLATILE.has(name) ? '<varies>' : value}`)
      .sort(),
    body: decodedBody(r.headers.find(([name]) => name === 'content-encoding')?.[1], r.body),
  }));
}

/**
 * A compressed body is compared by what it decodes to: its bytes are the compression library's
 * (Envoy's zlib-ng and node's zlib differ, as do the chunk flushes), not the proxy's.
 */
export function decodedBody(contentEncoding: string | undefined, body: string): string {
  const decode = contentEncoding === 'gzip' ? gunzipSync : contentEncoding === 'br' ? brotliDecompressSync : undefined;
  if (!decode || body === '') return body;
  try {
    return `(${contentEncoding}-decoded) ${decode(Buffer.from(body, 'latin1')).toString('latin1')}`;
  } catch {
    return `(${contentEncoding} that does not decode, ${body.length} bytes)`;
  }
}

/** How many whole, framed responses the bytes hold. */
export function completeResponses(data: Buffer, methods?: readonly string[]): number {
  return splitResponses(data.toString('latin1'), methods).filter((r) => r.complete).length;
}

/** The request an upstream saw, with the values a proxy generates per run masked. */
export function maskedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) {
    const value = headers[name];
    out[name] = VOLATILE.has(name) ? '<varies>' : Array.isArray(value) ? value.join(', ') : (value ?? '');
  }
  return out;
}

/** The methods of the HTTP/1.x requests in bytes a client sent, in order. */
export function requestMethods(sent: string): string[] {
  return [...sent.matchAll(/(?:^|\n)([A-Z]+) [^ \r\n]+ HTTP\/\d\.\d\r\n/g)].map((m) => m[1] as string);
}
