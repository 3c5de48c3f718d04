import type { HeaderMap } from '@nodevoy/http';

const HEADER = 'x-envoy-compression-status';

export type SkipReason = 'ContentLengthTooSmall' | 'ContentTypeNotAllowed' | 'EtagNotAllowed' | 'StatusCodeNotAllowed';

/**
 * `status_header_enabled`: `x-envoy-compression-status: <encoding>;<status>[;OriginalLength=n]`,
 * appended after what earlier compressor filters wrote. Nothing is written when the response was
 * neither compressed nor refused for one of the reasons (no Accept-Encoding, say).
 */
export class CompressionStatus {
  private value: string | undefined;

  constructor(
    private readonly encoding: string,
    readonly reason: SkipReason | undefined,
  ) {
    if (reason !== undefined) this.value = `${encoding};${reason}`;
  }

  compressed(originalLength: string | undefined): void {
    this.value = `${this.encoding};Compressed${originalLength === undefined ? '' : `;OriginalLength=${originalLength}`}`;
  }

  writeTo(headers: HeaderMap): void {
    if (this.value === undefined) return;
    const existing = headers.get(HEADER);
    headers.set(HEADER, existing ? `${existing},${this.value}` : this.value);
  }
}
