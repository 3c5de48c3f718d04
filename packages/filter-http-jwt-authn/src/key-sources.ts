import type { Counter, ServerContext, UpstreamRequester, WorkerContext } from '@nodevoy/core';
import { HeaderMap, sendAsyncRequest } from '@nodevoy/http';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** Where a provider's keys come from; `undefined` when they cannot be had right now (a failed fetch). */
export interface KeySource {
  keys(call: KeyFetchCall): Promise<JWTVerifyGetKey | undefined>;
}

export interface KeyFetchCall {
  readonly server: ServerContext;
  readonly worker: WorkerContext;
  readonly requester: UpstreamRequester | undefined;
}

/** A JWKS document as jose's key lookup; throws when it is not one. */
export function keySet(json: string): JWTVerifyGetKey {
  const parsed = JSON.parse(json) as JSONWebKeySet;
  if (!parsed || !Array.isArray(parsed.keys)) throw new Error('a JWKS has a "keys" list');
  return createLocalJWKSet(parsed);
}

/** `local_jwks`: read once, at config time. */
export class LocalKeys implements KeySource {
  constructor(private readonly getKey: JWTVerifyGetKey) {}

  keys(): Promise<JWTVerifyGetKey> {
    return Promise.resolve(this.getKey);
  }
}

/** Envoy's default `cache_duration` of remote JWKS. */
const DEFAULT_CACHE_MS = 600_000;

/**
 * `remote_jwks`: fetched through `http_uri.cluster` when a token first needs it (one fetch at a
 * time), kept for `cache_duration`; `jwt_authn.jwks_fetch_success` / `_failed`.
 */
export class RemoteKeys implements KeySource {
  private cached: { readonly getKey: JWTVerifyGetKey; readonly expiresAt: number } | undefined;
  private fetching: Promise<JWTVerifyGetKey | undefined> | undefined;

  constructor(
    private readonly remote: { readonly uri: string; readonly cluster: string; readonly timeoutMs: number; readonly cacheMs: number | undefined },
    private readonly stats: { readonly success: Counter; readonly failed: Counter },
  ) {}

  keys(call: KeyFetchCall): Promise<JWTVerifyGetKey | undefined> {
    if (this.cached && performance.now() < this.cached.expiresAt) return Promise.resolve(this.cached.getKey);
    this.fetching ??= this.fetch(call).finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetch(call: KeyFetchCall): Promise<JWTVerifyGetKey | undefined> {
    const url = new URL(this.remote.uri);
    const request = sendAsyncRequest(call.server, call.worker, call.requester, {
      cluster: this.remote.cluster,
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      authority: url.host,
      headers: new HeaderMap(),
      timeoutMs: this.remote.timeoutMs,
    });
    const outcome = await request.outcome;
    try {
      if (outcome.kind !== 'response' || outcome.response.status !== 200) throw new Error('no JWKS');
      const getKey = keySet(outcome.response.body.toString('utf8'));
      this.cached = { getKey, expiresAt: performance.now() + (this.remote.cacheMs ?? DEFAULT_CACHE_MS) };
      this.stats.success.inc();
      return getKey;
    } catch {
      this.stats.failed.inc();
      return undefined;
    }
  }
}
