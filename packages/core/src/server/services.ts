/** A typed key for a per-server service that one extension provides and others use. */
export class ServiceKey<T> {
  declare private readonly type: T;
  constructor(readonly name: string) {}
}

/**
 * Per-server services, looked up by typed key. This is how an extension hands something to
 * core or to another extension (the internal listener registry, for one) without either
 * importing the other's concrete class and without module globals.
 */
export class ServiceRegistry {
  private readonly services = new Map<ServiceKey<unknown>, unknown>();

  set<T>(key: ServiceKey<T>, service: T): void {
    if (this.services.has(key)) throw new Error(`service '${key.name}' is already provided in this server`);
    this.services.set(key, service);
  }

  get<T>(key: ServiceKey<T>): T | undefined {
    return this.services.get(key) as T | undefined;
  }
}
