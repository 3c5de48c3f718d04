/**
 * Envoy's response flags (StreamInfo's CoreResponseFlag), in the order Envoy prints them, so
 * `%RESPONSE_FLAGS%` reads `UF,URX` in nodevoy as it does in Envoy.
 */
export const RESPONSE_FLAG_CODES = [
  'LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX', 'SI', 'IH', 'DPE',
  'UMSDR', 'RFCF', 'NFCF', 'DT', 'UPE', 'NC', 'OM', 'DF', 'DO', 'DR',
] as const;

export type ResponseFlag = (typeof RESPONSE_FLAG_CODES)[number];

/** The flags set on one connection or request: one bit each (every connection has one of these). */
export class ResponseFlags {
  private bits = 0;

  set(flag: ResponseFlag): void {
    this.bits |= 1 << RESPONSE_FLAG_CODES.indexOf(flag);
  }

  /** `UF,URX`; empty when none is set. */
  toString(): string {
    if (this.bits === 0) return '';
    return RESPONSE_FLAG_CODES.filter((_, i) => (this.bits & (1 << i)) !== 0).join(',');
  }
}
