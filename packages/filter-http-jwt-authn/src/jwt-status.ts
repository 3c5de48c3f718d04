/** Why a token was not accepted, in Envoy's words (jwt_verify_lib's status messages). */
export const JwtStatus = {
  missing: 'Jwt is missing',
  badFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  headerBadBase64: 'Jwt header is an invalid Base64url encoded',
  headerBadJson: 'Jwt header is an invalid JSON',
  payloadBadBase64: 'Jwt payload is an invalid Base64url encoded',
  payloadBadJson: 'Jwt payload is an invalid JSON',
  expired: 'Jwt is expired',
  notYetValid: 'Jwt not yet valid',
  unknownIssuer: 'Jwt issuer is not configured',
  audienceNotAllowed: 'Audiences in Jwt are not allowed',
  verificationFails: 'Jwt verification fails',
  noMatchingKey: 'Jwks doesn\'t have key to match kid or alg from Jwt',
  jwksFetchFail: 'Jwks remote fetch is failed',
} as const;

export type JwtFailure = (typeof JwtStatus)[keyof typeof JwtStatus];

/** A decision: the token's payload when accepted, else why not. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly failure: JwtFailure };

export const OK: Verdict = Object.freeze({ ok: true });
export const fail = (failure: JwtFailure): Verdict => ({ ok: false, failure });
