import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Admin } from './admin.js';
import { maskedHeaders, parseHttpResponses } from './http-responses.js';
import { startTarget, type TargetName } from './targets.js';

export const MALFORMED_CASES = fileURLToPath(new URL('../malformed/cases.yaml', import.meta.url));
const CONFIG = fileURLToPath(new URL('../malformed/config.yaml', import.meta.url));

/** How long a proxy may take to answer (or close) before the case counts it as silent. */
const ANSWER_WAIT_MS = 700;
const PROBE = 'GET /probe HTTP/1.1\r\nHost: api.test\r\n\r\n';

export interface MalformedCase {
  readonly name: string;
  readonly about: string;
  /** The bytes, as latin1 text (`\xff` is the byte 0xff). */
  readonly send: string;
  /** After sending: half-close, reset, or keep the connection open (and probe it). */
  readonly end?: 'fin' | 'rst';
}

/** What a user can see of one case, compared between the two proxies. */
export interface MalformedObservation {
  /** The status lines the client got, in order (`none`: nothing came). */
  readonly statuses: readonly string[];
  /**
   * After the case: still open and answering a probe request, or not (closed, or open but
   * silent: Envoy's delayed close keeps a connection open a moment after its last answer).
   */
  readonly afterwards: 'usable' | 'unusable' | 'not probed';
  /** The requests the upstream parsed, with what varies per run masked. */
  readonly upstream: readonly string[];
}

export function loadMalformedCases(): MalformedCase[] {
  return parse(readFileSync(MALFORMED_CASES, 'utf8')) as MalformedCase[];
}

/** An HTTP/1.1 upstream that records every request it parses and answers `200 ok`. */
class RecordingUpstream {
  readonly requests: string[] = [];
  /** Connections open now, and requests begun but not yet recorded: what settling waits on. */
  openSockets = 0;
  inFlight = 0;
  private readonly server: Server;

  constructor() {
    this.server = createServer({ insecureHTTPParser: true, requireHostHeader: false }, (request, response) => this.record(request, response));
    // Any expectation is the proxy's to pass on; the recorder accepts it like a plain request.
    this.server.on('checkContinue', (request: IncomingMessage, response) => this.record(request, response));
    this.server.on('checkExpectation', (request: IncomingMessage, response) => this.record(request, response));
    this.server.on('clientError', (_error, socket) => socket.destroy());
    this.server.on('connection', (socket: import('node:net').Socket) => {
      this.openSockets++;
      socket.on('close', () => this.openSockets--);
    });
  }

  async start(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  private record(request: IncomingMessage, response: import('node:http').ServerResponse): void {
    const chunks: Buffer[] = [];
    this.inFlight++;
    request.on('close', () => this.inFlight--);
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', () => {});
    request.on('end', () => {
      const headers = maskedHeaders(request.headers);
      delete headers['x-envoy-expected-rq-timeout-ms'];
      const body = Buffer.concat(chunks).toString('latin1');
      this.requests.push(`${request.method} ${request.url} HTTP/${request.httpVersion} ${JSON.stringify(headers)} body=${JSON.stringify(body)}`);
      response.end('ok');
    });
  }
}

/** Sends one case to `port` and watches what the client gets; then probes the connection. */
async function runCase(port: number, testCase: MalformedCase): Promise<Omit<MalformedObservation, 'upstream'>> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  /** Waits until `done` holds, the connection closes, or the proxy stays silent for a while. */
  const waitFor = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ANSWER_WAIT_MS);
      function finish() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = () => {
        if (done() || closed) finish();
      };
      wake();
    });
  const responses = () => parseHttpResponses(Buffer.concat(chunks)).filter((r) => !r.status.startsWith('(incomplete'));
  socket.write(Buffer.from(testCase.send, 'latin1'));
  if (testCase.end === 'rst') {
    socket.resetAndDestroy();
    return { statuses: ['none'], afterwards: 'unusable' };
  }
  if (testCase.end === 'fin') socket.end();
  const expected = /GET \/second/.test(testCase.send) ? 2 : 1;
  await waitFor(() => responses().length >= expected && !/^HTTP\/1\.1 1\d\d/.test(responses().at(-1)?.status ?? ''));
  const statusesOf = (list: readonly { status: string }[]) => (list.length > 0 ? list.map((r) => r.status.split(' ').slice(0, 2).join(' ')) : ['none']);
  if (closed || testCase.end === 'fin') {
    socket.destroy();
    return { statuses: statusesOf(responses()), afterwards: closed ? 'unusable' : 'not probed' };
  }
  const before = responses().length;
  socket.write(PROBE);
  // The probe's answer is the recorder's `200 ok`; a late answer to the case itself (an error
  // response written after the first one) is the case's, not the probe's.
  const probeAnswered = () => responses().length > before && /^HTTP\/1\.1 200/.test(responses().at(-1)!.status);
  await waitFor(probeAnswered);
  const usable = probeAnswered();
  socket.destroy();
  const all = responses();
  return { statuses: statusesOf(usable ? all.slice(0, -1) : all), afterwards: usable ? 'usable' : 'unusable' };
}

const SETTLED_STATS = ['http.ingress.downstream_cx_active', 'http.ingress.downstream_rq_active', 'cluster.recorder.upstream_rq_active'];

/**
 * Waits until the proxy holds no connection or request of the case just sent, and the recorder
 * has read all it was sent: its connections are the proxy's (a connection the proxy closed is
 * gone on the recorder's side only once its bytes are read) and it holds no request half-read.
 */
async function settled(admin: Admin, upstream: RecordingUpstream, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const stats = await admin.stats();
    const proxyIdle = SETTLED_STATS.every((name) => (stats.get(name) ?? 0) === 0);
    if (proxyIdle && upstream.inFlight === 0 && upstream.openSockets === stats.get('cluster.recorder.upstream_cx_active')) return;
    if (Date.now() > deadline) throw new Error(`${what}: the proxy did not settle: ${SETTLED_STATS.map((n) => `${n}=${stats.get(n)}`).join(' ')}, recorder sockets ${upstream.openSockets}, requests half-read ${upstream.inFlight}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs every case, one after the other, against one proxy started on the shared config. */
export async function runMalformed(target: TargetName, envoyBin: string | undefined, cases: readonly MalformedCase[]): Promise<Map<string, MalformedObservation>> {
  const upstream = new RecordingUpstream();
  const port = await upstream.start();
  const running = await startTarget(target, envoyBin, readFileSync(CONFIG, 'utf8').replace('${upstream.recorder}', String(port)));
  const results = new Map<string, MalformedObservation>();
  try {
    const listener = (await running.admin.listenerPorts()).get('http');
    if (listener === undefined) throw new Error(`${target}: no http listener`);
    for (const testCase of cases) {
      const seen = upstream.requests.length;
      const client = await runCase(listener, testCase);
      // A request the proxy forwards late is still this case's, not the next one's.
      await settled(running.admin, upstream, `${target} ${testCase.name}`);
      // The probe's own request is not the case's.
      const upstreamRequests = upstream.requests.slice(seen).filter((r) => !r.startsWith('GET /probe '));
      results.set(testCase.name, { ...client, upstream: upstreamRequests });
    }
  } finally {
    await running.stop();
    upstream.close();
  }
  return results;
}

/** The fields in which two observations of one case differ. */
export function malformedDifferences(nodevoy: MalformedObservation, envoy: MalformedObservation): string[] {
  const out: string[] = [];
  for (const key of ['statuses', 'afterwards', 'upstream'] as const) {
    const a = JSON.stringify(nodevoy[key]);
    const b = JSON.stringify(envoy[key]);
    if (a !== b) out.push(`${key}: nodevoy ${a} / envoy ${b}`);
  }
  return out;
}
