/**
 * Why the inner side of an in-process hop gave up before carrying a byte (nodevoy's own, not
 * Envoy's): the hop that opened the connection can answer its client with the real cause (the
 * tunnel's 403, a 502 connect failure, a 504 connect timeout) instead of a generic 503.
 */
export interface HopFailure {
  /** The HTTP status an outer connection manager answers with. */
  readonly status: number;
  /** Short and stable: `tunnel_response_403`, `connect_failure`, `connect_timeout`. */
  readonly reason: string;
  /** Headers to pass on to the client (the tunnel response's, with `propagate_response_headers`). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}
