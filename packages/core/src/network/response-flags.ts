/** Envoy's response flags (StreamInfo's CoreResponseFlag). */
export const RESPONSE_FLAG_CODES = [
  'LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX', 'SI', 'IH', 'DPE',
  'UMSDR', 'RFCF', 'NFCF', 'DT', 'UPE', 'NC', 'OM', 'DF', 'DO', 'DR',
] as const;

export type ResponseFlag = (typeof RESPONSE_FLAG_CODES)[number];

/**
 * The flags set on one connection or request, printed in the order they were set, as Envoy
 * 1.40 prints them (`URX,UF` when the retry limit is found before the connect failure is
 * answered; `UF,URX` when tcp_proxy's attempts run out after it).
 */
export class ResponseFlags {
  private readonly flags: ResponseFlag[] = [];

  set(flag: ResponseFlag): void {
    if (!this.flags.includes(flag)) this.flags.push(flag);
  }

  /** `UF,URX`; empty when none is set. */
  toString(): string {
    return this.flags.join(',');
  }
}
