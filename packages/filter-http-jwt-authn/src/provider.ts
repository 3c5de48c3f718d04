import { cookieValue, type HeaderMap } from '@nodevoy/http';
import { compactVerify, errors } from 'jose';
import type { JwtProviderConfig } from './config.js';
import type { KeyFetchCall, KeySource } from './key-sources.js';
import { parseJwt, type ParsedJwt } from './parsed-jwt.js';
import { JwtStatus, fail, OK, type Verdict } from './jwt-status.js';

/** Where a token was found, so that it can be removed when it is not forwarded. */
export interface FoundToken {
  readonly token: string;
  /** The header it came in, if it came in one. */
  readonly header: string | undefined;
}

interface HeaderLocation {
  readonly name: string;
  readonly prefix: string;
}

/** Envoy's default locations: `Authorization: Bearer <token>` and the `access_token` query parameter. */
const DEFAULT_HEADERS: readonly HeaderLocation[] = [{ name: 'authorization', prefix: 'Bearer ' }];
const DEFAULT_PARAMS = ['access_token'];

function queryParam(path: string, name: string): string | undefined {
  const at = path.indexOf('?');
  return at < 0 ? undefined : (new URLSearchParams(path.slice(at + 1)).get(name) ?? undefined);
}

/** A claim by its name, nested ones by a dotted path (`nested.role`). */
function claim(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  let value: unknown = payload;
  for (const part of name.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** A claim as a header value: strings as they are, numbers and booleans printed, lists of them joined with commas. */
function claimHeaderValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) return value.join(',');
  return undefined;
}

/** What a verified token writes into the request: headers and dynamic metadata. */
export interface TokenEffects {
  readonly headers: HeaderMap;
  setMetadata(values: Record<string, unknown>): void;
}

/**
 * One `JwtProvider`: where its tokens are, how they are checked (issuer, time with clock skew,
 * audiences, signature against its JWKS, in Envoy's order), and what a verified one does to the
 * request (removed unless `forward`, payload forwarded, claims to headers, payload and header
 * into metadata).
 */
export class JwtProvider {
  private readonly headerLocations: readonly HeaderLocation[];
  private readonly params: readonly string[];
  private readonly cookies: readonly string[];
  private readonly clockSkewS: number;

  constructor(
    readonly name: string,
    private readonly config: JwtProviderConfig,
    private readonly keySource: KeySource,
  ) {
    const explicit = (config.from_headers?.length ?? 0) > 0 || (config.from_params?.length ?? 0) > 0 || (config.from_cookies?.length ?? 0) > 0;
    this.headerLocations = explicit ? (config.from_headers ?? []).map((h) => ({ name: h.name.toLowerCase(), prefix: h.value_prefix ?? '' })) : DEFAULT_HEADERS;
    this.params = explicit ? (config.from_params ?? []) : DEFAULT_PARAMS;
    this.cookies = config.from_cookies ?? [];
    this.clockSkewS = config.clock_skew_seconds ?? 60;
  }

  get issuer(): string | undefined {
    return this.config.issuer || undefined;
  }

  /** The tokens of the request in this provider's locations, in order. */
  extract(headers: HeaderMap): FoundToken[] {
    const found: FoundToken[] = [];
    for (const { name, prefix } of this.headerLocations) {
      const value = headers.get(name);
      if (value === undefined) continue;
      if (prefix === '') found.push({ token: value.trim(), header: name });
      else if (value.startsWith(prefix)) found.push({ token: value.slice(prefix.length).trim(), header: name });
    }
    const path = headers.get(':path') ?? '';
    for (const param of this.params) {
      const value = queryParam(path, param);
      if (value) found.push({ token: value, header: undefined });
    }
    for (const cookie of this.cookies) {
      const value = cookieValue(headers, cookie);
      if (value) found.push({ token: value, header: undefined });
    }
    return found;
  }

  /** Checks a token; when it is accepted, applies its effects on the request. */
  async verify(found: FoundToken, audiences: readonly string[] | undefined, call: KeyFetchCall, effects: TokenEffects, onParsed: () => void): Promise<Verdict> {
    const jwt = parseJwt(found.token);
    if (typeof jwt === 'string') return fail(jwt);
    onParsed();
    const payload = jwt.payload;
    if (this.issuer !== undefined && payload['iss'] !== this.issuer) return fail(JwtStatus.unknownIssuer);
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload['exp'] === 'number' && now > payload['exp'] + this.clockSkewS) return fail(JwtStatus.expired);
    if (typeof payload['nbf'] === 'number' && payload['nbf'] > now + this.clockSkewS) return fail(JwtStatus.notYetValid);
    const allowed = audiences ?? this.config.audiences ?? [];
    if (allowed.length > 0) {
      const aud = payload['aud'];
      const tokenAudiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
      if (!tokenAudiences.some((a) => allowed.includes(String(a)))) return fail(JwtStatus.audienceNotAllowed);
    }
    const getKey = await this.keySource.keys(call);
    if (!getKey) return fail(JwtStatus.jwksFetchFail);
    try {
      await compactVerify(jwt.token, getKey);
    } catch (err) {
      return fail(err instanceof errors.JWKSNoMatchingKey ? JwtStatus.noMatchingKey : JwtStatus.verificationFails);
    }
    this.apply(jwt, found, effects);
    return OK;
  }

  private apply(jwt: ParsedJwt, found: FoundToken, effects: TokenEffects): void {
    const { config } = this;
    const headers = effects.headers;
    if (!config.forward && found.header !== undefined) headers.remove(found.header);
    if (config.forward_payload_header) {
      const section = jwt.payloadSection;
      headers.set(config.forward_payload_header.toLowerCase(), config.pad_forward_payload_header ? section.padEnd(Math.ceil(section.length / 4) * 4, '=') : section);
    }
    for (const { header_name, claim_name } of config.claim_to_headers ?? []) {
      const value = claimHeaderValue(claim(jwt.payload, claim_name));
      if (value !== undefined) headers.set(header_name.toLowerCase(), value);
    }
    if (config.payload_in_metadata) effects.setMetadata({ [config.payload_in_metadata]: jwt.payload });
    if (config.header_in_metadata) effects.setMetadata({ [config.header_in_metadata]: jwt.header });
  }
}
