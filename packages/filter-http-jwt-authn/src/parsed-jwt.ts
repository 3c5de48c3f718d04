import { JwtStatus, type JwtFailure } from './jwt-status.js';

/** A token's three sections, its header and payload decoded. */
export interface ParsedJwt {
  readonly token: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The payload section as it came (base64url), for `forward_payload_header`. */
  readonly payloadSection: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeSection(section: string): Record<string, unknown> | 'bad-base64' | 'bad-json' {
  if (!BASE64URL.test(section)) return 'bad-base64';
  try {
    const value: unknown = JSON.parse(Buffer.from(section, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : 'bad-json';
  } catch {
    return 'bad-json';
  }
}

/** Parses a compact JWS as Envoy's jwt_verify_lib does, with its reasons for refusing one. */
export function parseJwt(token: string): ParsedJwt | JwtFailure {
  const sections = token.split('.');
  if (sections.length !== 3) return JwtStatus.badFormat;
  const [headerSection = '', payloadSection = '', signature = ''] = sections;
  const header = decodeSection(headerSection);
  if (header === 'bad-base64') return JwtStatus.headerBadBase64;
  if (header === 'bad-json') return JwtStatus.headerBadJson;
  const payload = decodeSection(payloadSection);
  if (payload === 'bad-base64') return JwtStatus.payloadBadBase64;
  if (payload === 'bad-json') return JwtStatus.payloadBadJson;
  if (!BASE64URL.test(signature)) return JwtStatus.verificationFails;
  return { token, header, payload, payloadSection };
}
