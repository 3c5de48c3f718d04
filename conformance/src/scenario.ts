import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** What an upstream server does with each connection it accepts. */
export type UpstreamBehaviour =
  | 'echo' // writes back every byte; FIN answered with FIN
  | 'upgrade-echo' // answers the first request with 101 (websocket), then echoes
  | 'refuse-connect-403' // an HTTP/1.1 proxy that answers the first request with 403 and a body
  | 'sink' // reads and discards; FIN answered with FIN
  | 'reply-after-fin' // collects until FIN, then sends `reply:<data>` and FIN
  | 'greet-and-close' // sends `hell` and FIN on accept, keeps reading
  | 'reset-on-second-data' // first data: sends `partial`; second data: RST
  | 'close-on-data' // first data: FIN
  | 'silent' // accepts, never writes
  | 'flood' // sends 8 MiB and a FIN on accept, reading whatever comes
  | 'http-mirror' // HTTP/1.1: answers 200 with a JSON of the request it saw (method, url, headers, body)
  | 'grpc-authz' // HTTP/2 cleartext envoy.service.auth.v3.Authorization: x-authz deny/fail, else allow with changes
  | 'grpc-authz-deny' // the same service denying every check
  | 'grpc-echo' // HTTP/2 cleartext gRPC: /test.Echo/Say echoes (headers telling what it was sent), /test.Echo/Fail is NOT_FOUND
  | 'tls-echo' // TLS (certificate `backend`, ALPN h2 or http/1.1): echoes every byte
  | 'tls-http' // HTTPS (certificate `backend`), HTTP/2 by ALPN or HTTP/1.1: answers 200 `HTTP/<version it spoke>`
  | 'tls-http1' // HTTPS (certificate `backend`), ALPN http/1.1 only: answers the same
  | 'zipkin-collector' // HTTP/1.1 Zipkin v2 collector: keeps every JSON span posted, answers 202
  | 'refuse' // nothing listens on the port
  | 'hang'; // a hung server: the TCP handshake never completes

/** One step of the client-side traffic script. Connections are named. */
/** A client that speaks TLS to the listener, with a certificate of the run's PKI when it has one. */
export interface TlsClient {
  readonly servername?: string;
  readonly alpn?: readonly string[];
  /** A certificate name of the run's PKI (`client`, `stranger`...). */
  readonly cert?: string;
}

export type Step =
  | { connect: { conn: string; listener: string; tls?: TlsClient } }
  /** `encoding: latin1`: each character of `text` is one byte (binary bodies written with \\x escapes); else UTF-8. */
  | { send: { conn: string; text?: string; encoding?: 'latin1'; bytes?: number; repeat?: number } }
  | { shutdown: string }
  | { reset: string }
  | { pause: string }
  | { resume: string }
  | { wait_bytes: { conn: string; bytes: number } }
  | { wait_text: { conn: string; text: string } }
  | { wait_end: string }
  | { wait_upstream_end: { upstream: string; index?: number } }
  | { wait_upstream_bytes: { upstream: string; bytes: number; index?: number } }
  | { wait_stat: { name: string; at_least: number } }
  /** A POST to the proxy's admin interface (`/healthcheck/fail`...). */
  | { admin_post: string }
  | { wait_responses: { conn: string; count: number } };

export interface Observe {
  /** Client connections whose received bytes and end kind are compared. */
  readonly connections?: readonly string[];
  /** Client connections whose bytes are compared as HTTP/1.1 responses (volatile headers masked). */
  readonly http_responses?: readonly string[];
  /** Upstreams whose per-connection received bytes and end kinds are compared. */
  readonly upstreams?: readonly string[];
  /** Counters and gauges compared by value after the traffic settles. */
  readonly stats?: readonly string[];
  /**
   * The lines written to the access log the config names `${access_log}`, read after the proxy
   * quit (so every line is flushed), with upstream ports replaced by the upstreams' names.
   */
  readonly access_log?: boolean;
  /** TLS client connections whose handshake outcome (established, ALPN, certificate served) is compared. */
  readonly tls?: readonly string[];
  /** Zipkin collectors (`zipkin-collector` upstreams) whose spans are compared, ids by their order of appearance. */
  readonly spans?: readonly string[];
  /** Admin endpoints compared by shape. */
  readonly admin?: readonly ('listeners' | 'clusters' | 'ready' | 'server_info' | 'certs')[];
}

export interface Scenario {
  readonly name: string;
  readonly about: string;
  /** The Envoy config, with `${upstream.<name>}` standing for upstream ports and `${tls}` for the PKI's directory. */
  readonly config: string;
  readonly upstreams: Readonly<Record<string, UpstreamBehaviour>>;
  readonly steps: readonly Step[];
  readonly observe: Observe;
  /** Only check whether the config is accepted (`--mode validate`), no traffic. */
  readonly validateOnly: boolean;
  readonly file: string;
}

interface ScenarioFile {
  name?: string;
  about?: string;
  config?: string;
  config_file?: string;
  /** Text replacements applied to `config_file`, for variations of a shared config. */
  replace?: [string, string][];
  upstreams?: Record<string, UpstreamBehaviour>;
  steps?: Step[];
  observe?: Observe;
  validate_only?: boolean;
}

/** Loads every scenario in a folder (`*.yaml`; a file may hold a list of scenarios). */
export function loadScenarios(dir: string): Scenario[] {
  const out: Scenario[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const parsed = parse(readFileSync(join(dir, file), 'utf8')) as ScenarioFile | ScenarioFile[];
    for (const raw of Array.isArray(parsed) ? parsed : [parsed]) out.push(toScenario(raw, dir, file));
  }
  const names = new Set<string>();
  for (const s of out) {
    if (names.has(s.name)) throw new Error(`duplicate scenario name ${s.name}`);
    names.add(s.name);
  }
  return out;
}

function toScenario(raw: ScenarioFile, dir: string, file: string): Scenario {
  if (!raw.name) throw new Error(`${file}: a scenario needs a name`);
  let config = raw.config ?? (raw.config_file ? readFileSync(join(dir, raw.config_file), 'utf8') : undefined);
  if (!config) throw new Error(`${file}: scenario ${raw.name} needs config or config_file`);
  for (const [from, to] of raw.replace ?? []) {
    if (!config.includes(from)) throw new Error(`${file}: scenario ${raw.name}: '${from}' is not in the config`);
    config = config.replace(from, to);
  }
  return {
    name: raw.name,
    about: raw.about ?? '',
    config,
    upstreams: raw.upstreams ?? {},
    steps: raw.steps ?? [],
    observe: raw.observe ?? {},
    validateOnly: raw.validate_only ?? false,
    file,
  };
}
