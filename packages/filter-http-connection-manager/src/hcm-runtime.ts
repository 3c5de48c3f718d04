import type { Logger } from '@nodevoy/core';
import type { HttpConnectionManagerConfig } from './config/hcm-config.js';
import type { HttpFilterFactoryCb } from './http-filter.js';
import type { RouteTable } from './routing/route-table.js';
import type { HcmStats } from './stats.js';

/** What every stream of one connection manager config shares. */
export interface HcmRuntime {
  readonly config: HttpConnectionManagerConfig;
  readonly stats: HcmStats;
  readonly routes: RouteTable;
  readonly filterFactories: readonly HttpFilterFactoryCb[];
  readonly log: Logger;
  readonly serverName: string;
  readonly serverHeader: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  readonly acceptHttp10: boolean;
  readonly useRemoteAddress: boolean;
  readonly skipXffAppend: boolean;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  nextStreamId(): number;
}
