import { NodevoyError } from '@nodevoy/core';

/** TLS material that cannot be used: a file that will not load, a key that does not fit. */
export class TlsMaterialError extends NodevoyError {
  constructor(
    /** The config field at fault, relative to the message that holds it. */
    readonly field: string,
    message: string,
  ) {
    super('ERR_NODEVOY_TLS_MATERIAL', message);
  }
}
