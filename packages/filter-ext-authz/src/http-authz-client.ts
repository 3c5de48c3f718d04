import { compileFormat, type Formatter } from '@nodevoy/core';
import { HOP_BY_HOP, HeaderMap, sendAsyncRequest, type AsyncResponse } from '@nodevoy/http';
import type { AuthzClient, CheckCall, PendingCheck } from './authz-client.js';
import { deniedResponse, ERROR_RESPONSE, okResponse, type AuthzResponse } from './authz-response.js';
import type { AttributeContext } from './check-request.js';
import type { HttpServiceConfig } from './config.js';
import { listMatcher, type NameMatcher } from './list-matcher.js';

/** The service's answer names request headers the upstream must not get, in this header (on a 200 only). */
const HEADERS_TO_REMOVE = 'x-envoy-auth-headers-to-remove';

/** Headers a denial passes to the client when `allowed_client_headers` lists others. */
const DENIAL_HEADERS = ['content-length', 'www-authenticate', 'location'];

/** The response's matchers, compiled once (Envoy's ClientConfig). */
interface ResponseMatchers {
  readonly upstream: NameMatcher;
  readonly upstreamToAppend: NameMatcher;
  readonly client: NameMatcher;
  readonly clientOnSuccess: NameMatcher;
  readonly dynamicMetadata: NameMatcher;
}

/**
 * An HTTP authorization service (Envoy's RawHttpClientImpl): the request's method, path (after
 * `path_prefix`), host and the headers the filter lets through, with `content-length` of the
 * body it buffered, go to `server_uri.cluster` within `server_uri.timeout`. A 200 allows, with
 * the headers the `authorization_response` matchers pick for the upstream, the client and
 * dynamic metadata; a 5xx (or no answer) is an error; any other status denies with that status,
 * the service's body and the headers `allowed_client_headers` picks (all but `host` by default).
 */
export class HttpAuthzClient implements AuthzClient {
  private readonly matchers: ResponseMatchers;
  private readonly headersToAdd: readonly (readonly [string, Formatter])[];

  constructor(private readonly config: HttpServiceConfig) {
    const response = config.authorization_response;
    const allowedClient = response?.allowed_client_headers;
    this.matchers = {
      upstream: listMatcher(response?.allowed_upstream_headers),
      upstreamToAppend: listMatcher(response?.allowed_upstream_headers_to_append),
      client: allowedClient ? listMatcher(allowedClient, DENIAL_HEADERS) : (name) => name !== 'host',
      clientOnSuccess: listMatcher(response?.allowed_client_headers_on_success),
      dynamicMetadata: listMatcher(response?.dynamic_metadata_from_headers),
    };
    this.headersToAdd = (config.authorization_request?.headers_to_add ?? []).map((header) => [header.key.toLowerCase(), compileFormat(header.value ?? '')]);
  }

  check(attributes: AttributeContext, call: CheckCall): PendingCheck {
    const http = attributes.request?.http;
    const body = http?.raw_body ?? Buffer.from(http?.body ?? '');
    const headers = HeaderMap.from([['content-length', String(body.length)]]);
    let method = 'GET';
    let path = '/';
    let authority = '';
    for (const [name, value] of Object.entries(http?.headers ?? {})) {
      if (name === ':method') method = value;
      else if (name === ':path') path = `${this.config.path_prefix ?? ''}${value}`;
      else if (name === ':authority') authority = value;
      else if (name !== 'content-length' && !name.startsWith(':')) headers.add(name, value);
    }
    for (const [name, format] of this.headersToAdd) {
      const value = call.formatContext ? format(call.formatContext) : '';
      if (value !== '') headers.set(name, value);
    }
    const request = sendAsyncRequest(call.server, call.worker, call.requester, {
      cluster: this.config.server_uri.cluster,
      method,
      path,
      authority,
      headers,
      body,
      timeoutMs: this.config.server_uri.timeout,
    });
    return {
      result: request.outcome.then((outcome) => (outcome.kind === 'response' ? this.decide(outcome.response) : ERROR_RESPONSE)),
      cancel: () => request.cancel(),
    };
  }

  private decide(response: AsyncResponse): AuthzResponse {
    if (response.status >= 500) return ERROR_RESPONSE;
    const headers = [...response.headers].filter(([name]) => name !== HEADERS_TO_REMOVE && !HOP_BY_HOP.has(name));
    const m = this.matchers;
    const pick = (matcher: NameMatcher) => headers.filter(([name]) => matcher(name));
    if (response.status === 200) {
      const headersToRemove = response.headers
        .getAll(HEADERS_TO_REMOVE)
        .flatMap((value) => value.split(','))
        .map((name) => name.trim().toLowerCase())
        .filter((name) => name !== '');
      return okResponse({
        headersToSet: pick(m.upstream),
        headersToAdd: pick(m.upstreamToAppend),
        responseHeadersToAdd: pick(m.clientOnSuccess),
        headersToRemove,
        dynamicMetadata: Object.fromEntries(pick(m.dynamicMetadata)),
      });
    }
    return deniedResponse(response.status, {
      body: response.body.toString('utf8'),
      deniedHeaders: pick(m.client).map(([name, value]) => ({ name, value, append: false })),
      dynamicMetadata: Object.fromEntries(pick(m.dynamicMetadata)),
    });
  }
}
