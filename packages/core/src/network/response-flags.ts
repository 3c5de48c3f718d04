/**
 * Envoy's response flags (StreamInfo's CoreResponseFlag), in the order Envoy prints them, so
 * `%RESPONSE_FLAGS%` reads `UF,URX` in nodevoy as it does in Envoy.
 */
export const RESPONSE_FLAG_CODES = [
  'LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX', 'SI', 'IH', 'DPE',
  'UMSDR', 'RFCF', 'NFCF', 'DT', 'UPE', 'NC', 'OM', 'DF', 'DO', 'DR',
] as const;

export type ResponseFlag = (typeof RESPONSE_FLAG_CODES)[number];

/** The flags set on one connection or request. */
export class ResponseFlags {
  private readonly flags = new Set<ResponseFlag>();

  set(flag: ResponseFlag): void {
    this.flags.add(flag);
  }

  has(flag: ResponseFlag): boolean {
    return this.flags.has(flag);
  }

  /** `UF,URX`; empty when none is set. */
  toString(): string {
    if (this.flags.size === 0) return '';
    return RESPONSE_FLAG_CODES.filter((flag) => this.flags.has(flag)).join(',');
  }
}
