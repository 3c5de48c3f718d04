import type { HeaderMap } from '@nodevoy/http';

/**
 * Envoy's addEncodingToAcceptEncoding: `encoding` goes last, with no q-value, and any earlier
 * mention of it (with its q-value) is dropped; the other codings stay as they were.
 */
export function addEncodingToAcceptEncoding(header: string, encoding: string): string {
  const codings = header
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '' && token.split(';', 1)[0]?.trim() !== encoding);
  return [...codings, encoding].join(',');
}

/** The encoding applied last is the first listed: it must be this library's (any case). */
export function contentEncodingMatches(headers: HeaderMap, encoding: string): boolean {
  const value = headers.get('content-encoding');
  return value !== undefined && value.split(',', 1)[0]?.trim().toLowerCase() === encoding.toLowerCase();
}

/** Takes the decoded coding off Content-Encoding; the header goes when it was the only one. */
export function removeFirstContentEncoding(headers: HeaderMap): void {
  const value = (headers.get('content-encoding') ?? '').trim();
  const comma = value.indexOf(',');
  if (comma < 0) headers.remove('content-encoding');
  else headers.set('content-encoding', value.slice(comma + 1).trim());
}
