import { schema, type FieldType } from '@nodevoy/core';

/** `envoy.type.v3.StatusCode`: its names, with their codes (the enum is sparse). */
const STATUS_CODES: Readonly<Record<string, number>> = {
  Continue: 100, OK: 200, Created: 201, Accepted: 202, NonAuthoritativeInformation: 203, NoContent: 204, ResetContent: 205,
  PartialContent: 206, MultiStatus: 207, AlreadyReported: 208, IMUsed: 226, MultipleChoices: 300, MovedPermanently: 301,
  Found: 302, SeeOther: 303, NotModified: 304, UseProxy: 305, TemporaryRedirect: 307, PermanentRedirect: 308,
  BadRequest: 400, Unauthorized: 401, PaymentRequired: 402, Forbidden: 403, NotFound: 404, MethodNotAllowed: 405,
  NotAcceptable: 406, ProxyAuthenticationRequired: 407, RequestTimeout: 408, Conflict: 409, Gone: 410, LengthRequired: 411,
  PreconditionFailed: 412, PayloadTooLarge: 413, URITooLong: 414, UnsupportedMediaType: 415, RangeNotSatisfiable: 416,
  ExpectationFailed: 417, MisdirectedRequest: 421, UnprocessableEntity: 422, Locked: 423, FailedDependency: 424,
  UpgradeRequired: 426, PreconditionRequired: 428, TooManyRequests: 429, RequestHeaderFieldsTooLarge: 431,
  InternalServerError: 500, NotImplemented: 501, BadGateway: 502, ServiceUnavailable: 503, GatewayTimeout: 504,
  HTTPVersionNotSupported: 505, VariantAlsoNegotiates: 506, InsufficientStorage: 507, LoopDetected: 508, NotExtended: 510,
  NetworkAuthenticationRequired: 511,
};
const KNOWN_CODES = new Set(Object.values(STATUS_CODES));

/** An `envoy.type.v3.StatusCode` given by name (`Unauthorized`) or number, as its number; undefined when it is neither. */
export function statusCodeOf(value: string | number): number | undefined {
  return typeof value === 'string' ? STATUS_CODES[value] : KNOWN_CODES.has(value) ? value : undefined;
}

/** A StatusCode by name (`TooManyRequests`) or number (429), read as its number. */
const statusCode: FieldType<number> = {
  description: 'envoy.type.v3.StatusCode',
  parse(value, path, ctx) {
    const raw = value.kind === 'scalar' ? value.value : undefined;
    const code = typeof raw === 'string' || typeof raw === 'number' ? statusCodeOf(raw) : undefined;
    if (code === undefined) return ctx.report(path, value.position, `invalid value ${JSON.stringify(raw)} for enum envoy.type.v3.StatusCode`, 'a status name such as TooManyRequests, or its number');
    return code;
  },
};

/** `envoy.type.v3.HttpStatus`: the status a filter answers with. */
export const httpStatusSchema = schema.message('envoy.type.v3.HttpStatus', { code: schema.required(statusCode) });
