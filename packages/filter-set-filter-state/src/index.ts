import { extensionPackage } from '@nodevoy/core';
import type { NodevoyExtension } from '@nodevoy/core';
import { httpSetFilterState } from './http-filter.js';
import { networkSetFilterState } from './network-filter.js';

export { httpSetFilterState } from './http-filter.js';
export { networkSetFilterState } from './network-filter.js';

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(networkSetFilterState);
    registry.add(httpSetFilterState);
  },
};
