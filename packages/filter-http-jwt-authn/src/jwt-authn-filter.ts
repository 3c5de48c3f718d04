import type { Counter, ServerContext } from '@nodevoy/core';
import type { DecoderFilterCallbacks, HttpFilter, HttpFilterResult, HttpFilterStatus } from '@nodevoy/filter-http-connection-manager';
import type { HeaderMap } from '@nodevoy/http';
import type { JwtPerRouteConfig } from './config.js';
import { JwtStatus, type JwtFailure } from './jwt-status.js';
import type { Requirement } from './requirement.js';

/** The dynamic metadata namespace payloads and headers go into. */
const METADATA_NAMESPACE = 'envoy.filters.http.jwt_authn';

export interface JwtAuthnStats {
  readonly allowed: Counter;
  readonly denied: Counter;
  readonly cors_preflight_bypassed: Counter;
  readonly jwt_cache_miss: Counter;
}

/** One JwtAuthentication config, compiled. */
export interface JwtAuthnSettings {
  /** The first rule whose match takes the request decides its requirement. */
  readonly rules: readonly { readonly matches: (headers: HeaderMap) => boolean; readonly requirement: Requirement }[];
  readonly requirementMap: ReadonlyMap<string, Requirement>;
  readonly bypassCorsPreflight: boolean;
  readonly stats: JwtAuthnStats;
  readonly server: ServerContext;
  readonly filterConfigName: string;
}

function isCorsPreflight(headers: HeaderMap): boolean {
  return headers.get(':method') === 'OPTIONS' && headers.has('origin') && headers.has('access-control-request-method');
}

/** Envoy's realm: where the request was going, query included. */
function realm(headers: HeaderMap): string {
  return `${headers.get(':scheme') ?? 'http'}://${headers.get(':authority') ?? ''}${headers.get(':path') ?? '/'}`;
}

/**
 * `envoy.filters.http.jwt_authn` on one request (Envoy's JwtAuthn filter): the requirement of
 * the route (`JwtPerRoute`) or of the first matching rule is checked; the request goes on, with
 * what the verified tokens add, or is answered 401 (403 for audiences) with Envoy's message and
 * `www-authenticate`. No requirement, no check.
 */
export class JwtAuthnFilter implements HttpFilter {
  private callbacks!: DecoderFilterCallbacks;

  constructor(private readonly settings: JwtAuthnSettings) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.callbacks = callbacks;
  }

  decodeHeaders(headers: HeaderMap): HttpFilterResult {
    const { settings } = this;
    if (settings.bypassCorsPreflight && isCorsPreflight(headers)) {
      settings.stats.cors_preflight_bypassed.inc();
      return 'continue';
    }
    const requirement = this.requirementFor(headers);
    if (!requirement) return 'continue';
    const callbacks = this.callbacks;
    return requirement({
      headers,
      call: { server: settings.server, worker: callbacks.connection.worker, requester: callbacks.requestInfo },
      effects: { headers, setMetadata: (values) => callbacks.requestInfo.setDynamicMetadata(METADATA_NAMESPACE, values) },
      onTokenParsed: () => settings.stats.jwt_cache_miss.inc(),
    }).then((verdict) => {
      if (verdict.ok) {
        settings.stats.allowed.inc();
        return 'continue';
      }
      settings.stats.denied.inc();
      this.deny(headers, verdict.failure);
      return 'stop' satisfies HttpFilterStatus;
    });
  }

  private requirementFor(headers: HeaderMap): Requirement | undefined {
    const routeConfig = this.callbacks.route()?.perFilterConfigs(this.settings.filterConfigName).at(-1) as JwtPerRouteConfig | undefined;
    if (routeConfig?.disabled) return undefined;
    if (routeConfig?.requirement_name !== undefined) return this.settings.requirementMap.get(routeConfig.requirement_name);
    return this.settings.rules.find((rule) => rule.matches(headers))?.requirement;
  }

  private deny(headers: HeaderMap, failure: JwtFailure): void {
    const challenge = `Bearer realm="${realm(headers)}"${failure === JwtStatus.missing ? '' : ', error="invalid_token"'}`;
    this.callbacks.sendLocalReply({
      status: failure === JwtStatus.audienceNotAllowed ? 403 : 401,
      body: failure,
      headers: [['www-authenticate', challenge]],
      details: `jwt_authn_access_denied{${failure.replace(/ /g, '_')}}`,
    });
  }
}
