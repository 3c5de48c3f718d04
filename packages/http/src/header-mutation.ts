import { compileFormat, type FormatContext } from '@nodevoy/core';
import type { HeaderMap } from './headers.js';
import type { HeaderValueOptionConfig } from './header-options.js';

interface CompiledHeader {
  readonly key: string;
  readonly value: (context: FormatContext) => string;
  readonly action: NonNullable<HeaderValueOptionConfig['append_action']>;
  readonly keepEmpty: boolean;
}

/**
 * `*_headers_to_add` / `*_headers_to_remove` of one level (a route, a virtual host, a tunnel),
 * values being Envoy format strings (`%DOWNSTREAM_REMOTE_ADDRESS%`).
 */
export class HeaderMutation {
  private readonly add: CompiledHeader[];

  constructor(
    toAdd: readonly HeaderValueOptionConfig[] = [],
    private readonly toRemove: readonly string[] = [],
  ) {
    this.add = toAdd.map((option) => ({
      key: option.header.key.toLowerCase(),
      value: compileFormat(option.header.value ?? option.header.raw_value ?? ''),
      // `append: false` is the old spelling of OVERWRITE_IF_EXISTS_OR_ADD.
      action: option.append_action ?? (option.append === false ? 'OVERWRITE_IF_EXISTS_OR_ADD' : 'APPEND_IF_EXISTS_OR_ADD'),
      keepEmpty: option.keep_empty_value ?? false,
    }));
  }

  get isEmpty(): boolean {
    return this.add.length === 0 && this.toRemove.length === 0;
  }

  apply(headers: HeaderMap, context: FormatContext): void {
    for (const name of this.toRemove) headers.remove(name);
    for (const header of this.add) {
      const value = header.value(context);
      if (value === '' && !header.keepEmpty) continue;
      const exists = headers.has(header.key);
      switch (header.action) {
        case 'APPEND_IF_EXISTS_OR_ADD':
          headers.add(header.key, value);
          break;
        case 'ADD_IF_ABSENT':
          if (!exists) headers.add(header.key, value);
          break;
        case 'OVERWRITE_IF_EXISTS_OR_ADD':
          headers.set(header.key, value);
          break;
        case 'OVERWRITE_IF_EXISTS':
          if (exists) headers.set(header.key, value);
          break;
      }
    }
  }
}
