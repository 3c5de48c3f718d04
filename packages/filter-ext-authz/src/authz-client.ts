import type { FormatContext, ServerContext, UpstreamRequester, WorkerContext } from '@nodevoy/core';
import type { AuthzResponse } from './authz-response.js';
import type { AttributeContext } from './check-request.js';

/** Where a check runs: the worker whose pools carry it, and what format strings in the config see. */
export interface CheckCall {
  readonly server: ServerContext;
  readonly worker: WorkerContext;
  readonly requester: UpstreamRequester | undefined;
  readonly formatContext: FormatContext | undefined;
}

/** A check in flight. `cancel` abandons it (the stream went away): the result never settles. */
export interface PendingCheck {
  readonly result: Promise<AuthzResponse>;
  cancel(): void;
}

/** An authorization service, over HTTP or gRPC (Envoy's ExtAuthz::Client). A failure is an `error` response, never a rejection. */
export interface AuthzClient {
  check(attributes: AttributeContext, call: CheckCall): PendingCheck;
}
