import type { FilterState } from '@nodevoy/core';
import type { CompressorFilterConfig } from './compressor-config.js';

/** How the Accept-Encoding header decided: each is one of the response stats. */
export type HeaderStat = 'ValidCompressor' | 'Identity' | 'Wildcard' | 'NotValid';

export interface EncodingDecision {
  readonly encoding: string;
  readonly stat: HeaderStat;
}

const REGISTRY_KEY = 'compressors';
const DECISION_KEY = 'encoding_decision';
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Every compressor filter of a request registers here, in chain order (Envoy's CompressorRegistry). */
export function registerCompressor(state: FilterState, config: CompressorFilterConfig): void {
  const registered = state.get(REGISTRY_KEY) as CompressorFilterConfig[] | undefined;
  if (registered) registered.push(config);
  else state.set(REGISTRY_KEY, [config]);
}

/** The request's decision, made once by the first compressor filter that asks, as Envoy caches it. */
export function encodingDecision(state: FilterState, acceptEncoding: string, mediaType: string | undefined): EncodingDecision {
  const cached = state.get(DECISION_KEY) as EncodingDecision | undefined;
  if (cached) return cached;
  const registered = (state.get(REGISTRY_KEY) as CompressorFilterConfig[] | undefined) ?? [];
  const decision = chooseEncoding(acceptEncoding, mediaType, registered);
  state.set(DECISION_KEY, decision);
  return decision;
}

interface InChain {
  readonly registrationCount: number;
  readonly chooseFirst: boolean;
}

/**
 * Envoy's chooseEncoding: of the encodings the client accepts and the chain's compressors offer
 * for this content type, the highest q-value wins (ties: the first listed, unless a compressor
 * has `choose_first`); `*` means the first compressor registered; `q=0` rules one out. Names
 * compare exactly, as Envoy's map lookups do, and the lookup's side effect (a default entry for
 * an unknown name) is kept, since it decides ties of `*`.
 */
export function chooseEncoding(acceptEncoding: string, mediaType: string | undefined, configs: readonly CompressorFilterConfig[]): EncodingDecision {
  const allowed = new Map<string, InChain>();
  let registrationCount = 0;
  for (const config of configs) {
    if (mediaType !== undefined && !config.response.contentTypes.has(mediaType)) continue;
    if (allowed.has(config.contentEncoding)) continue;
    allowed.set(config.contentEncoding, { registrationCount: registrationCount++, chooseFirst: config.chooseFirst });
  }
  const pairs: [string, number][] = [];
  for (const token of acceptEncoding.split(',')) {
    if (token === '') continue;
    const semicolon = token.indexOf(';');
    const name = (semicolon < 0 ? token : token.slice(0, semicolon)).trim();
    let q = 1;
    if (semicolon >= 0) {
      const params = token.slice(semicolon + 1);
      const equals = params.indexOf('=');
      if (equals >= 0 && params.slice(0, equals).trim().toLowerCase() === 'q') {
        const value = params.slice(equals + 1).trim();
        if (!FLOAT.test(value)) continue;
        q = Number(value);
      }
    }
    pairs.push([name, q]);
    if (q === 0) allowed.delete(name);
  }
  if (pairs.length === 0 || allowed.size === 0) return { encoding: 'identity', stat: 'NotValid' };

  let choice: [string, number] = ['identity', 0];
  for (const pair of pairs) {
    const [name, q] = pair;
    if (!allowed.has(name) && name !== 'identity' && name !== '*') continue;
    if (q > choice[1] || (q === choice[1] && lookup(allowed, name).chooseFirst)) choice = pair;
  }
  if (choice[1] === 0) return { encoding: 'identity', stat: 'NotValid' };
  if (choice[0] === 'identity') return { encoding: 'identity', stat: 'Identity' };
  if (choice[0] === '*') return { encoding: firstRegistered(allowed), stat: 'Wildcard' };
  return { encoding: choice[0], stat: 'ValidCompressor' };
}

/** std::map's operator[]: a missing name gets a default entry (registration 0, not choose_first). */
function lookup(allowed: Map<string, InChain>, name: string): InChain {
  let entry = allowed.get(name);
  if (!entry) allowed.set(name, (entry = { registrationCount: 0, chooseFirst: false }));
  return entry;
}

/** The lowest registration count; ties go to the name first in byte order, as std::min_element over a std::map. */
function firstRegistered(allowed: Map<string, InChain>): string {
  let best: [string, InChain] | undefined;
  for (const entry of [...allowed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!best || entry[1].registrationCount < best[1].registrationCount) best = entry;
  }
  return best?.[0] ?? 'identity';
}
