import { randomUUID } from 'node:crypto';
import { ServiceKey, type ServiceRegistry } from '../server/services.js';
import type { DynamicMetadata } from './connection-info.js';
import type { FilterState, SharedFilterStateObject } from './filter-state.js';

/** What crosses an internal hop besides bytes: metadata namespaces and shared filter state. */
export interface PassthroughBundle {
  readonly metadata: Readonly<Record<string, Record<string, unknown>>>;
  readonly filterState: readonly SharedFilterStateObject[];
}

/** Where a bundle lands on the internal listener's side: a connection's or a request's info. */
export interface PassthroughTarget {
  readonly filterState: FilterState;
  setDynamicMetadata(namespace: string, values: Record<string, unknown>): void;
}

/** Merges a bundle into a connection's or request's dynamic metadata and filter state. */
export function mergePassthrough(bundle: PassthroughBundle, target: PassthroughTarget): void {
  for (const [namespace, values] of Object.entries(bundle.metadata)) target.setDynamicMetadata(namespace, values);
  for (const object of bundle.filterState) target.filterState.set(object.name, object.value, object.sharing);
}

/**
 * The state both ends of one in-process pair share (Envoy's user-space `PassthroughState`):
 * the client side's transport socket fills it once, the internal listener merges it once into
 * the accepted connection, before its listener filters run.
 */
export class PassthroughState {
  private bundle: PassthroughBundle | undefined;
  private merged = false;
  /** How many internal hops the accepting side is behind (set by the client connection factory). */
  internalHops = 0;

  initialize(bundle: PassthroughBundle): void {
    if (this.bundle || this.merged) return;
    this.bundle = bundle;
  }

  mergeInto(target: PassthroughTarget): void {
    if (this.merged) return;
    this.merged = true;
    if (this.bundle) mergePassthrough(this.bundle, target);
    this.bundle = undefined;
  }
}

/** The request header that names a request's bundle across an internal hop (stripped on arrival). */
export const REQUEST_PASSTHROUGH_HEADER = 'x-nodevoy-passthrough';

/**
 * Per-request passthrough (nodevoy's, not Envoy's): a request routed to an internal listener
 * leaves its bundle here under an unguessable tag sent in `x-nodevoy-passthrough`; the
 * connection manager that receives the request takes it. Requests that share one pooled
 * upstream connection each carry their own state, which Envoy's per-connection passthrough
 * cannot do. The sender withdraws what nobody took when its request ends.
 */
export class RequestPassthroughRegistry {
  private readonly bundles = new Map<string, PassthroughBundle>();

  offer(bundle: PassthroughBundle): string {
    const tag = randomUUID();
    this.bundles.set(tag, bundle);
    return tag;
  }

  take(tag: string): PassthroughBundle | undefined {
    const bundle = this.bundles.get(tag);
    this.bundles.delete(tag);
    return bundle;
  }

  withdraw(tag: string): void {
    this.bundles.delete(tag);
  }

  get size(): number {
    return this.bundles.size;
  }
}

const REQUEST_PASSTHROUGH = new ServiceKey<RequestPassthroughRegistry>('per-request passthrough');

/** The server's per-request passthrough registry, created on first use. */
export function requestPassthrough(services: ServiceRegistry): RequestPassthroughRegistry {
  let registry = services.get(REQUEST_PASSTHROUGH);
  if (!registry) {
    registry = new RequestPassthroughRegistry();
    services.set(REQUEST_PASSTHROUGH, registry);
  }
  return registry;
}

/** What a transport socket may pass on from one request (see `requestPassthrough`). */
export interface RequestPassthroughSource {
  readonly dynamicMetadata: DynamicMetadata;
  readonly routeMetadata: Readonly<Record<string, Record<string, unknown>>>;
  readonly filterState: FilterState;
}
