import type { FieldType, ParseContext, ParseServices } from '../config/schema/types.js';
import type { Logger } from '../log/logger.js';
import { decodeResource, describeIssues } from './resource-decoder.js';
import { XdsRejection, type XdsResource, type XdsWatchCallbacks } from './xds-types.js';

/** A resource in service: as the management server sent it, with its version and when it came. */
export interface AppliedResource {
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly version: string;
  readonly lastUpdated: Date;
}

/** How one kind of state-of-the-world resource (listeners, clusters) is put in service. */
export interface ResourceSetTarget<C, B> {
  /** `listener`, `cluster`: in log lines and in the NACK message. */
  readonly noun: string;
  /** `lds`, `cds`. */
  readonly api: string;
  readonly schema: FieldType<C>;
  /** Builds without touching what serves; problems are reported to the parse in force. */
  prepare(config: C, version: string): B | undefined;
  commit(built: B, version: string): void;
  /** A built resource that will not serve (its update was bad). */
  discard?(built: B): void;
  remove(name: string): boolean;
  /** The names an update may remove: those this API gave. */
  currentNames(): readonly string[];
  /** Runs a build with semantic problems reported to the resource's own parse. */
  reportingTo<T>(parse: ParseContext, build: () => T): T;
}

/**
 * LDS and CDS state of the world, as Envoy's `LdsApiImpl` and `CdsApiHelper`: resources missing
 * from an update are removed, changed ones are built and replace theirs, unchanged ones are left
 * alone, and the ones that fail are named in the NACK while the others still apply.
 */
export class ResourceSetApi<C extends { readonly name?: string }, B> implements Pick<XdsWatchCallbacks, 'onUpdate'> {
  /** What each resource in service was, as sent: an identical resend changes nothing. */
  private readonly applied = new Map<string, AppliedResource & { readonly sent: string }>();
  /** The version of the last update accepted whole. */
  version = '';

  constructor(
    private readonly target: ResourceSetTarget<C, B>,
    private readonly services: ParseServices,
    private readonly log: Logger,
  ) {}

  onUpdate(resources: readonly XdsResource[], version: string): void {
    const { target } = this;
    const failures: string[] = [];
    const names = new Set(resources.map((r) => r.name));
    for (const name of target.currentNames()) {
      if (names.has(name) || !target.remove(name)) continue;
      this.applied.delete(name);
      this.log.info(`${target.api}: remove ${target.noun} '${name}'`);
    }
    const seen = new Set<string>();
    for (const resource of resources) {
      if (seen.has(resource.name)) {
        failures.push(`duplicate ${target.noun} ${resource.name} found`);
        continue;
      }
      seen.add(resource.name);
      const sent = JSON.stringify(resource.body);
      if (this.applied.get(resource.name)?.sent === sent) continue;
      const problem = this.apply(resource, version);
      if (problem === undefined) {
        this.applied.set(resource.name, { name: resource.name, body: resource.body, version: resource.version ?? version, lastUpdated: new Date(), sent });
        this.log.info(`${target.api}: add/update ${target.noun} '${resource.name}'`);
      } else {
        failures.push(`${resource.name}: ${problem}`);
      }
    }
    if (failures.length > 0) throw new XdsRejection(`Error adding/updating ${target.noun}(s) ${failures.join(', ')}`);
    this.version = version;
  }

  /** The resources this API put in service, as sent, for `/config_dump`. */
  appliedResources(): AppliedResource[] {
    return [...this.applied.values()].map(({ sent: _, ...resource }) => resource);
  }

  /** Builds and commits one resource; what is wrong with it, if anything. */
  private apply(resource: XdsResource, version: string): string | undefined {
    const { target } = this;
    const body = resource.body['name'] === undefined ? { ...resource.body, name: resource.name } : resource.body;
    const decoded = decodeResource(target.schema, { name: resource.name, body }, this.services);
    if (!decoded.ok) return describeIssues(decoded.issues);
    const built = target.reportingTo(decoded.parse, () => target.prepare(decoded.value, version));
    if (built === undefined || decoded.parse.issues.length > 0) {
      if (built !== undefined) target.discard?.(built);
      return describeIssues(decoded.parse.issues);
    }
    target.commit(built, version);
    return undefined;
  }
}
