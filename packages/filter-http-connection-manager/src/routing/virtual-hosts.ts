/**
 * Picks the virtual host for a request's authority with Envoy's search order: exact domains,
 * then suffix wildcards (`*.foo.com`, longest first), then prefix wildcards (`foo.*`, longest
 * first), then `*`. The authority is matched as sent, port included (a CONNECT to
 * `foo.com:443` needs `foo.com:443` or a wildcard), unless ports are ignored.
 */
export class VirtualHostSelector<T> {
  private readonly exact = new Map<string, T>();
  private readonly suffixes: { suffix: string; value: T }[] = [];
  private readonly prefixes: { prefix: string; value: T }[] = [];
  private catchAll: T | undefined;

  constructor(
    entries: readonly { readonly domains: readonly string[]; readonly value: T }[],
    private readonly ignorePort: boolean,
  ) {
    for (const { domains, value } of entries) {
      for (const raw of domains) {
        const domain = raw.toLowerCase();
        if (domain === '*') this.catchAll ??= value;
        else if (domain.startsWith('*')) this.suffixes.push({ suffix: domain.slice(1), value });
        else if (domain.endsWith('*')) this.prefixes.push({ prefix: domain.slice(0, -1), value });
        else if (!this.exact.has(domain)) this.exact.set(domain, value);
      }
    }
    // Longest wildcard first; equal lengths keep config order.
    this.suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The domains that appear twice, which Envoy rejects. */
  static duplicates(entries: readonly { readonly domains: readonly string[] }[]): string[] {
    const seen = new Set<string>();
    const duplicates: string[] = [];
    for (const domain of entries.flatMap((e) => e.domains.map((d) => d.toLowerCase()))) {
      if (seen.has(domain)) duplicates.push(domain);
      seen.add(domain);
    }
    return duplicates;
  }

  select(authority: string): T | undefined {
    let host = authority.toLowerCase();
    if (this.ignorePort) host = stripPort(host);
    const exact = this.exact.get(host);
    if (exact !== undefined) return exact;
    // A wildcard never matches the empty string.
    for (const { suffix, value } of this.suffixes) if (host.length > suffix.length && host.endsWith(suffix)) return value;
    for (const { prefix, value } of this.prefixes) if (host.length > prefix.length && host.startsWith(prefix)) return value;
    return this.catchAll;
  }
}

/** `host:port` -> `host`, `[::1]:80` -> `[::1]`. */
export function stripPort(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end >= 0 ? authority.slice(0, end + 1) : authority;
  }
  const colon = authority.lastIndexOf(':');
  return colon >= 0 && authority.indexOf(':') === colon ? authority.slice(0, colon) : authority;
}
