import { schema, type MessageValue } from '@nodevoy/core';
import { headersToAdd } from './header-options.js';

const { message, string, required, duration } = schema;

/** `envoy.config.core.v3.HttpUri`: a URI reached through a cluster, with a timeout. */
export const httpUriSchema = message('envoy.config.core.v3.HttpUri', {
  uri: required(string({ minLen: 1 })),
  cluster: required(string({ minLen: 1 })),
  timeout: required(duration()),
});
export type HttpUriConfig = MessageValue<typeof httpUriSchema.fields>;

/** `envoy.config.core.v3.HttpService`: an HTTP endpoint a tracer or logger posts to, and headers it adds. */
export const httpServiceSchema = message('envoy.config.core.v3.HttpService', {
  http_uri: required(httpUriSchema),
  request_headers_to_add: headersToAdd(),
});
export type HttpServiceConfig = MessageValue<typeof httpServiceSchema.fields>;
