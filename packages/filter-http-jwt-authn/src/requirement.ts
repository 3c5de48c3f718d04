import type { HeaderMap } from '@nodevoy/http';
import type { JwtRequirementConfig } from './config.js';
import type { KeyFetchCall } from './key-sources.js';
import { JwtStatus, fail, OK, type JwtFailure, type Verdict } from './jwt-status.js';
import type { FoundToken, JwtProvider, TokenEffects } from './provider.js';

/** What checking one request needs. */
export interface RequestCheck {
  readonly headers: HeaderMap;
  readonly call: KeyFetchCall;
  readonly effects: TokenEffects;
  /** Counts a token that parsed and is checked (Envoy's `jwt_cache_miss`: nodevoy keeps no token cache). */
  readonly onTokenParsed: () => void;
}

/** A compiled JwtRequirement. */
export type Requirement = (check: RequestCheck) => Promise<Verdict>;

export const NO_REQUIREMENT: Requirement = () => Promise.resolve(OK);

function verifyWith(provider: JwtProvider, found: FoundToken, audiences: readonly string[] | undefined, check: RequestCheck): Promise<Verdict> {
  return provider.verify(found, audiences, check.call, check.effects, check.onTokenParsed);
}

function providerRequirement(provider: JwtProvider, audiences: readonly string[] | undefined): Requirement {
  return (check) => {
    const [first] = provider.extract(check.headers);
    return first ? verifyWith(provider, first, audiences, check) : Promise.resolve(fail(JwtStatus.missing));
  };
}

/** The issuer a token claims, if it parses that far. */
function tokenIssuer(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>)['iss'];
  } catch {
    return undefined;
  }
}

/**
 * Every token in any provider's locations, each checked by the provider of its issuer (Envoy's
 * allow-missing verifiers): none at all passes; `failedToo` lets a token that fails pass too.
 */
function anyProviderRequirement(providers: readonly JwtProvider[], failedToo: boolean): Requirement {
  return async (check) => {
    const seen = new Set<string>();
    for (const provider of providers) {
      for (const found of provider.extract(check.headers)) {
        if (seen.has(found.token)) continue;
        seen.add(found.token);
        const issuer = tokenIssuer(found.token);
        const verifier = providers.find((p) => p.issuer === issuer) ?? providers.find((p) => p.issuer === undefined);
        const verdict = verifier ? await verifyWith(verifier, found, undefined, check) : fail(JwtStatus.unknownIssuer);
        if (!verdict.ok && !failedToo) return verdict;
      }
    }
    return OK;
  };
}

/** Envoy's any-of: the first that passes; else "missing" only when every one was missing. */
function anyOf(requirements: readonly Requirement[]): Requirement {
  return async (check) => {
    let failure: JwtFailure | undefined;
    for (const requirement of requirements) {
      const verdict = await requirement(check);
      if (verdict.ok) return OK;
      if (failure === undefined || failure === JwtStatus.missing) failure = verdict.failure;
    }
    return fail(failure ?? JwtStatus.missing);
  };
}

function allOf(requirements: readonly Requirement[]): Requirement {
  return async (check) => {
    for (const requirement of requirements) {
      const verdict = await requirement(check);
      if (!verdict.ok) return verdict;
    }
    return OK;
  };
}

/** A JwtRequirement as a function of the request; a provider it names that does not exist is reported. */
export function compileRequirement(config: JwtRequirementConfig | undefined, providers: ReadonlyMap<string, JwtProvider>, unknownProvider: (name: string) => void): Requirement {
  if (!config) return NO_REQUIREMENT;
  const named = (name: string, audiences?: readonly string[]): Requirement => {
    const provider = providers.get(name);
    if (!provider) {
      unknownProvider(name);
      return NO_REQUIREMENT;
    }
    return providerRequirement(provider, audiences);
  };
  if (config.provider_name !== undefined) return named(config.provider_name);
  if (config.provider_and_audiences) return named(config.provider_and_audiences.provider_name, config.provider_and_audiences.audiences ?? []);
  const compileAll = (list: readonly JwtRequirementConfig[]) => list.map((item) => compileRequirement(item, providers, unknownProvider));
  if (config.requires_any) return anyOf(compileAll(config.requires_any.requirements));
  if (config.requires_all) return allOf(compileAll(config.requires_all.requirements));
  if (config.allow_missing_or_failed) return anyProviderRequirement([...providers.values()], true);
  if (config.allow_missing) return anyProviderRequirement([...providers.values()], false);
  return NO_REQUIREMENT;
}
