import { existsSync, readFileSync } from 'node:fs';
import type { Admin } from './admin.js';
import type { Observe } from './scenario.js';
import { parseHttpResponses, type HttpResponseObservation } from './http-responses.js';
import type { StreamObservation } from './stream-record.js';
import type { TlsOutcome, Traffic } from './traffic.js';
import type { Upstream } from './upstreams.js';
import { spanObservations, type SpanObservation } from './zipkin-collector.js';

/** What a user can observe of one run, in a form two runs can be compared by value. */
export interface Observation {
  readonly config: 'accepted' | 'rejected';
  /** A step that could not complete (a wait that timed out), if any. */
  readonly stepError?: string;
  /** The proxy stopped answering its admin before the observations were read. */
  readonly crashed?: string;
  readonly connections?: Record<string, StreamObservation>;
  readonly http_responses?: Record<string, { responses: HttpResponseObservation[]; end: string }>;
  readonly upstreams?: Record<string, StreamObservation[]>;
  readonly stats?: Record<string, number | null>;
  readonly admin?: Record<string, unknown>;
  readonly access_log?: string[];
  readonly tls?: Record<string, TlsOutcome>;
  readonly spans?: Record<string, SpanObservation[]>;
}

type ListenersJson = { listener_statuses: { name: string; local_address: Record<string, unknown> }[] };
type ClustersJson = {
  cluster_statuses: {
    name: string;
    host_statuses?: {
      address: { socket_address?: { port_value: number }; envoy_internal_address?: { server_listener_name: string; endpoint_id?: string } };
      stats: { name: string }[];
      health_status: Record<string, unknown>;
    }[];
  }[];
};

/** Collects the observations a scenario asks for from the client, upstreams and admin. */
export async function observe(
  spec: Observe,
  admin: Admin,
  traffic: Traffic,
  upstreams: ReadonlyMap<string, Upstream>,
): Promise<Omit<Observation, 'config' | 'stepError'>> {
  const out: {
    http_responses?: Observation['http_responses'];
    connections?: Observation['connections'];
    upstreams?: Observation['upstreams'];
    stats?: Observation['stats'];
    admin?: Observation['admin'];
    tls?: Observation['tls'];
    spans?: Observation['spans'];
  } = {};
  if (spec.tls) {
    out.tls = Object.fromEntries(spec.tls.map((c) => [c, traffic.tls.get(c) ?? { established: false, alpn: '', version: '', served: '' }]));
  }
  if (spec.connections) {
    out.connections = Object.fromEntries(spec.connections.map((c) => [c, traffic.connections.get(c)?.observation() ?? { bytes: 0, sha256: '', head: '', end: 'open' as const }]));
  }
  if (spec.http_responses) {
    out.http_responses = Object.fromEntries(
      spec.http_responses.map((c) => {
        const record = traffic.connections.get(c);
        return [c, { responses: parseHttpResponses(record?.bytes() ?? Buffer.alloc(0), record?.sentMethods), end: record?.end ?? 'open' }];
      }),
    );
  }
  if (spec.upstreams) {
    out.upstreams = Object.fromEntries(spec.upstreams.map((u) => [u, (upstreams.get(u)?.connections ?? []).map((r) => r.observation())]));
  }
  if (spec.stats) {
    const stats = await admin.stats();
    out.stats = Object.fromEntries(spec.stats.map((name) => [name, stats.get(name) ?? null]));
  }
  if (spec.spans) {
    const portNames = new Map([...upstreams].map(([name, u]) => [u.port, name]));
    out.spans = Object.fromEntries(spec.spans.map((name) => [name, spanObservations((upstreams.get(name)?.spans ?? []) as Parameters<typeof spanObservations>[0], portNames)]));
  }
  if (spec.admin) {
    const portNames = new Map([...upstreams].map(([name, u]) => [u.port, name]));
    const shapes: Record<string, unknown> = {};
    for (const endpoint of spec.admin) shapes[endpoint] = await adminShape(endpoint, admin, portNames);
    out.admin = shapes;
  }
  return out;
}

async function adminShape(endpoint: NonNullable<Observe['admin']>[number], admin: Admin, portNames: ReadonlyMap<number, string>): Promise<unknown> {
  switch (endpoint) {
    case 'ready': {
      const { status, body } = await admin.text('/ready');
      return `${status} ${body.trim()}`;
    }
    case 'certs':
      // Envoy lists its TLS contexts in no particular order: compared as a set.
      return (await admin.json<{ certificates: unknown[] }>('/certs')).certificates.map((group) => JSON.stringify(group)).sort();
    case 'server_info':
      return Object.keys(await admin.json<Record<string, unknown>>('/server_info')).sort();
    case 'listeners':
      return (await admin.json<ListenersJson>('/listeners?format=json')).listener_statuses.map((l) => `${l.name}: ${Object.keys(l.local_address).join(',')}`);
    case 'clusters':
      return (await admin.json<ClustersJson>('/clusters?format=json')).cluster_statuses
        .map((c) => ({
          name: c.name,
          hosts: (c.host_statuses ?? []).map((h) => ({
            address: h.address.envoy_internal_address
              ? `envoy://${h.address.envoy_internal_address.server_listener_name}/${h.address.envoy_internal_address.endpoint_id ?? ''}`
              : `upstream ${portNames.get(h.address.socket_address?.port_value ?? -1) ?? '?'}`,
            stats: h.stats.map((s) => s.name).sort(),
            health: h.health_status,
          })),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
  }
}

/**
 * The access log's lines, sorted (the hops of a chain finish in either order), with each
 * upstream's `127.0.0.1:<port>` written as `upstream <name>`.
 */
export function accessLogLines(path: string, upstreams: ReadonlyMap<string, Upstream>): string[] {
  if (!existsSync(path)) return [];
  let text = readFileSync(path, 'utf8');
  for (const [name, upstream] of upstreams) text = text.replace(new RegExp(`127\\.0\\.0\\.1:${upstream.port}(?!\\d)`, 'g'), `upstream ${name}`);
  return text.split('\n').slice(0, -1).sort();
}
