import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { extractTags, type MetricSnapshot, type StatsSink } from '@nodevoy/core';

/** How a sink names a stat: the full name (statsd), or the tag-extracted name and its tags (DogStatsD). */
export type MetricNaming = 'plain' | 'tagged';

export interface UdpStatsdTarget {
  readonly host: string;
  readonly port: number;
  readonly prefix: string;
  readonly naming: MetricNaming;
  /** Lines joined with `\n` up to this many bytes per datagram; 0 sends each line on its own. */
  readonly maxBytesPerDatagram: number;
}

/**
 * Envoy's UDP statsd sinks: `<prefix>.<name>:<value>|c` for each counter's change since the
 * last flush, `|g` for gauges, `|ms` for every histogram value as it is recorded; DogStatsD
 * names a stat by Envoy's tag extraction and appends its tags as `|#tag:value,...`. A lost
 * datagram is lost: statsd is fire and forget, and a send error never reaches the data path.
 */
export class UdpStatsdSink implements StatsSink {
  private readonly socket: Socket;
  private pending: string[] = [];
  private pendingBytes = 0;
  private readonly taggedNames = new Map<string, { readonly name: string; readonly tags: string }>();

  constructor(private readonly target: UdpStatsdTarget) {
    this.socket = createSocket(isIP(target.host) === 6 ? 'udp6' : 'udp4');
    this.socket.on('error', () => {});
    this.socket.unref();
  }

  flush(snapshot: MetricSnapshot): void {
    for (const counter of snapshot.counters) this.line(counter.name, counter.delta, 'c');
    for (const gauge of snapshot.gauges) this.line(gauge.name, gauge.value, 'g');
    this.send();
  }

  onHistogramComplete(histogram: { readonly name: string }, value: number): void {
    this.line(histogram.name, Math.max(0, Math.floor(value)), 'ms');
    this.send();
  }

  close(): void {
    this.socket.close();
  }

  private line(statName: string, value: number, type: 'c' | 'g' | 'ms'): void {
    const { prefix, naming } = this.target;
    let text: string;
    if (naming === 'plain') text = `${prefix}.${statName}:${value}|${type}`;
    else {
      const { name, tags } = this.tagged(statName);
      text = `${prefix}.${name}:${value}|${type}${tags}`;
    }
    const limit = this.target.maxBytesPerDatagram;
    if (limit > 0 && this.pendingBytes > 0 && this.pendingBytes + 1 + text.length > limit) this.send();
    this.pending.push(text);
    this.pendingBytes += (this.pending.length > 1 ? 1 : 0) + text.length;
    if (limit === 0) this.send();
  }

  /** A stat's tag-extracted name and `|#tags` suffix, worked out once per stat rather than at every flush. */
  private tagged(statName: string): { readonly name: string; readonly tags: string } {
    let known = this.taggedNames.get(statName);
    if (!known) {
      const { name, tags } = extractTags(statName);
      known = { name, tags: tags.length > 0 ? `|#${tags.map(([tag, tagValue]) => `${tag}:${tagValue}`).join(',')}` : '' };
      this.taggedNames.set(statName, known);
    }
    return known;
  }

  private send(): void {
    if (this.pending.length === 0) return;
    const datagram = this.pending.join('\n');
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.send(datagram, this.target.port, this.target.host);
  }
}
