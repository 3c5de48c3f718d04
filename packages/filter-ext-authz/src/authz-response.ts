/** Envoy's CheckStatus: allowed, denied by the service, or no usable answer. */
export type CheckStatus = 'ok' | 'denied' | 'error';

export type HeaderList = readonly (readonly [string, string])[];

/** What an authorization service decided, whichever protocol carried it (Envoy's ExtAuthz::Response). */
export interface AuthzResponse {
  readonly status: CheckStatus;
  /** Request headers for the upstream: replaced (or added), added beside existing ones, appended to an existing one with `,`. */
  readonly headersToSet: HeaderList;
  readonly headersToAdd: HeaderList;
  readonly headersToAppend: HeaderList;
  readonly headersToRemove: readonly string[];
  /** Headers for the client's response: added beside, or replacing, the upstream's. */
  readonly responseHeadersToAdd: HeaderList;
  readonly responseHeadersToSet: HeaderList;
  readonly queryParametersToSet: HeaderList;
  readonly queryParametersToRemove: readonly string[];
  /** A denial's answer: its status, its body, and headers set (or added) on it. */
  readonly statusCode: number;
  readonly body: string;
  readonly deniedHeaders: readonly { readonly name: string; readonly value: string; readonly append: boolean }[];
  /** Into the request's `envoy.filters.http.ext_authz` dynamic metadata. */
  readonly dynamicMetadata: Readonly<Record<string, unknown>>;
}

const NONE = Object.freeze([]);

/** A response with nothing to change: the base of every decision. */
function decision(status: CheckStatus, statusCode: number): AuthzResponse {
  return {
    status,
    headersToSet: NONE,
    headersToAdd: NONE,
    headersToAppend: NONE,
    headersToRemove: NONE,
    responseHeadersToAdd: NONE,
    responseHeadersToSet: NONE,
    queryParametersToSet: NONE,
    queryParametersToRemove: NONE,
    statusCode,
    body: '',
    deniedHeaders: NONE,
    dynamicMetadata: {},
  };
}

/** No usable answer (transport failure, timeout, a 5xx from an HTTP service). */
export const ERROR_RESPONSE: AuthzResponse = Object.freeze(decision('error', 403));

export function okResponse(changes: Partial<AuthzResponse>): AuthzResponse {
  return { ...decision('ok', 200), ...changes };
}

export function deniedResponse(statusCode: number, changes: Partial<AuthzResponse>): AuthzResponse {
  return { ...decision('denied', statusCode), ...changes };
}
