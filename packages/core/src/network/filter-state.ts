/**
 * How a filter state object travels to the upstream connections it causes (Envoy's
 * `StreamSharingMayImpactPooling`, set_filter_state's `shared_with_upstream`): `none` stays
 * here, `once` crosses one internal hop, `transitive` crosses every hop after it too.
 */
export type FilterStateSharing = 'none' | 'once' | 'transitive';

/** One object handed to an upstream connection, by reference (as Envoy shares it). */
export interface SharedFilterStateObject {
  readonly name: string;
  readonly value: unknown;
  readonly sharing: FilterStateSharing;
}

/**
 * Named objects that filters leave for each other (Envoy's FilterState). A request's filter
 * state has its connection's as parent: a name not set on the request is looked up there.
 */
export class FilterState {
  private readonly objects = new Map<string, { value: unknown; sharing: FilterStateSharing }>();

  constructor(private readonly parent?: FilterState) {}

  get(name: string): unknown {
    const own = this.objects.get(name);
    return own ? own.value : this.parent?.get(name);
  }

  has(name: string): boolean {
    return this.objects.has(name) || (this.parent?.has(name) ?? false);
  }

  set(name: string, value: unknown, sharing: FilterStateSharing = 'none'): void {
    this.objects.set(name, { value, sharing });
  }

  /** Every name visible here, own before inherited, with its value. */
  entries(): [string, unknown][] {
    const seen = new Map<string, unknown>(this.parent?.entries());
    for (const [name, { value }] of this.objects) seen.set(name, value);
    return [...seen];
  }

  /**
   * What an upstream connection opened now carries to an internal listener: the objects
   * shared with upstream, the parent's first so a request's own object wins. A `once` object
   * arrives there as `none`, so it goes no further.
   */
  sharedWithUpstream(): SharedFilterStateObject[] {
    const shared = new Map<string, SharedFilterStateObject>();
    for (const object of this.parent?.sharedWithUpstream() ?? []) shared.set(object.name, object);
    for (const [name, { value, sharing }] of this.objects) {
      if (sharing === 'none') continue;
      shared.set(name, { name, value, sharing: sharing === 'once' ? 'none' : 'transitive' });
    }
    return [...shared.values()];
  }
}
