import { stringMatcher } from '@nodevoy/core';
import type { ListStringMatcherConfig } from './config.js';

/** A header name test: true when any pattern of the list matches. */
export type NameMatcher = (name: string) => boolean;

export const MATCHES_NOTHING: NameMatcher = () => false;

/** A ListStringMatcher as a name test, plus exact names that always match. */
export function listMatcher(config: ListStringMatcherConfig | undefined, alwaysExact: readonly string[] = []): NameMatcher {
  const matchers = (config?.patterns ?? []).map(stringMatcher);
  const exact = new Set(alwaysExact);
  if (matchers.length === 0 && exact.size === 0) return MATCHES_NOTHING;
  return (name) => exact.has(name) || matchers.some((match) => match(name));
}
