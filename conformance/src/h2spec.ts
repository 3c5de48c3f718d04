import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible` (`.ci/run` does it). */
export const H2SPEC_INSTALL = 'go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible';

/** h2spec: `$H2SPEC_BIN`, `h2spec` on PATH, or where `go install` puts it. */
export function findH2spec(): string | undefined {
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim() || join(homedir(), 'go');
  const candidates = [process.env['H2SPEC_BIN'], 'h2spec', join(gopath, 'bin', 'h2spec')].filter((c): c is string => Boolean(c));
  return candidates.find((candidate) => spawnSync(candidate, ['--version'], { encoding: 'utf8' }).status === 0);
}

export interface H2specCase {
  /** `h2spec <section>: <title>`, as KNOWN-DIFFERENCES.md names it. */
  readonly id: string;
  readonly outcome: 'passed' | 'failed' | 'skipped';
  /** What h2spec expected and saw, for a failure. */
  readonly detail: string;
}

/** Runs every h2spec case against 127.0.0.1:`port` (cleartext, prior knowledge). */
export async function runH2spec(bin: string, port: number, reportPath: string): Promise<H2specCase[]> {
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--timeout', '2', '--junit-report', reportPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.resume();
  await once(child, 'close');
  if (!existsSync(reportPath)) throw new Error('h2spec wrote no report');
  return parseJunitReport(readFileSync(reportPath, 'utf8'));
}

/** h2spec's JUnit report: one `<testcase package=... classname=...>` per case, `<error>` or `<skipped>` inside. */
export function parseJunitReport(xml: string): H2specCase[] {
  const cases: H2specCase[] = [];
  const testcase = /<testcase package="([^"]*)" classname="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const body = match[3] ?? '';
    const error = /<(?:error|failure)[^>]*>([\s\S]*?)<\/(?:error|failure)>/.exec(body);
    cases.push({
      id: `h2spec ${unescapeXml(match[1] ?? '')}: ${unescapeXml(match[2] ?? '')}`,
      outcome: error ? 'failed' : /<skipped/.test(body) ? 'skipped' : 'passed',
      detail: error ? unescapeXml(error[1] ?? '').trim() : '',
    });
  }
  return cases;
}

function unescapeXml(text: string): string {
  return text.replace(/&#(\d+);|&(amp|lt|gt|quot|apos);/g, (_, code: string | undefined, name: string | undefined) =>
    code ? String.fromCharCode(Number(code)) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as const)[name as 'amp'],
  );
}
