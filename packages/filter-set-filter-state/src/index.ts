import type { NodevoyExtension } from '@nodevoy/core';
import { httpSetFilterState } from './http-filter.js';
import { networkSetFilterState } from './network-filter.js';

export { httpSetFilterState } from './http-filter.js';
export { networkSetFilterState } from './network-filter.js';

export const extension: NodevoyExtension = {
  name: '@nodevoy/filter-set-filter-state',
  coreRange: '^0.1.0',
  register(registry) {
    registry.add(networkSetFilterState);
    registry.add(httpSetFilterState);
  },
};
