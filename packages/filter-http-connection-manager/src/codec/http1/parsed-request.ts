/** An HTTP/1.x request head as llhttp parsed it, before the connection manager's checks. */
export interface ParsedRequest {
  readonly method: string;
  /** The request-target as sent. */
  readonly url: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Flat name/value pairs, names as the client spelled them. */
  readonly rawHeaders: readonly string[];
  /** llhttp's keep-alive verdict (HTTP/1.1 unless `connection: close`; HTTP/1.0 only with keep-alive). */
  readonly shouldKeepAlive: boolean;
}

/** The first value of a header (node:http's rule for Host and Content-Length: later copies are dropped). */
export function firstHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const candidate = raw[i] as string;
    if (candidate.length === name.length && candidate.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

/** Every value of a header joined with `, ` (a list-valued header such as Transfer-Encoding). */
export function joinedHeader(raw: readonly string[], name: string): string | undefined {
  let joined: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const candidate = raw[i] as string;
    if (candidate.length !== name.length || candidate.toLowerCase() !== name) continue;
    joined = joined === undefined ? (raw[i + 1] as string) : `${joined}, ${raw[i + 1] as string}`;
  }
  return joined;
}

export function isHttp10(request: ParsedRequest): boolean {
  return request.versionMajor === 1 && request.versionMinor === 0;
}
