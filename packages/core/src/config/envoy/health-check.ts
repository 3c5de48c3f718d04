import { Category } from '../../registry/categories.js';
import { schema } from '../schema/index.js';
import type { MessageValue } from '../schema/types.js';

const { message, string, bytes, uint32, bool, duration, required, typedConfig, registeredMessage } = schema;

const T = 'type.googleapis.com/envoy.config.core.v3.HealthCheck.';
/** The health checker messages core does not define: each health checker extension registers its own. */
export const HTTP_HEALTH_CHECK_TYPE_URL = `${T}HttpHealthCheck`;
export const TCP_HEALTH_CHECK_TYPE_URL = `${T}TcpHealthCheck`;
export const GRPC_HEALTH_CHECK_TYPE_URL = `${T}GrpcHealthCheck`;

/** `HealthCheck.Payload`: hex text or raw bytes, sent or expected by TCP and HTTP checks. */
export const healthCheckPayloadSchema = message(
  'envoy.config.core.v3.HealthCheck.Payload',
  { text: string({ minLen: 1 }), binary: bytes() },
  {
    oneofs: [{ fields: ['text', 'binary'], required: true }],
    check: (payload, report) => {
      if (payload.text !== undefined && !/^(?:[0-9a-fA-F]{2})+$/.test(payload.text)) report('text', `invalid hex string '${payload.text}'`);
    },
  },
);
export type HealthCheckPayloadConfig = MessageValue<typeof healthCheckPayloadSchema.fields>;

const interval = () => duration({ gtMs: 0 });

export const healthCheckSchema = message(
  'envoy.config.core.v3.HealthCheck',
  {
    timeout: required(interval()),
    interval: required(interval()),
    initial_jitter: duration(),
    interval_jitter: duration(),
    interval_jitter_percent: uint32(),
    unhealthy_threshold: required(uint32()),
    healthy_threshold: required(uint32()),
    reuse_connection: bool(),
    no_traffic_interval: interval(),
    no_traffic_healthy_interval: interval(),
    unhealthy_interval: interval(),
    unhealthy_edge_interval: interval(),
    healthy_edge_interval: interval(),
    event_log_path: string(),
    always_log_health_check_failures: bool(),
    always_log_health_check_success: bool(),
    http_health_check: registeredMessage(Category.healthChecker, HTTP_HEALTH_CHECK_TYPE_URL),
    tcp_health_check: registeredMessage(Category.healthChecker, TCP_HEALTH_CHECK_TYPE_URL),
    grpc_health_check: registeredMessage(Category.healthChecker, GRPC_HEALTH_CHECK_TYPE_URL),
    custom_health_check: message(
      'envoy.config.core.v3.HealthCheck.CustomHealthCheck',
      { name: string(), typed_config: required(typedConfig(Category.healthChecker)) },
    ),
  },
  {
    oneofs: [{ fields: ['http_health_check', 'tcp_health_check', 'grpc_health_check', 'custom_health_check'], required: true }],
    unsupported: {
      alt_port: 'use health_check_config.port_value on the endpoint',
      event_logger: 'use event_log_path',
      event_service: 'not implemented by nodevoy yet',
      transport_socket_match_criteria: 'transport_socket_matches are not implemented by nodevoy yet',
      tls_options: 'not implemented by nodevoy yet',
    },
  },
);
export type HealthCheckConfig = MessageValue<typeof healthCheckSchema.fields>;

/** An endpoint's `health_check_config`: where and as whom its checks go. */
export const endpointHealthCheckSchema = message(
  'envoy.config.endpoint.v3.Endpoint.HealthCheckConfig',
  { port_value: uint32({ lte: 65535 }), hostname: string(), disable_active_health_check: bool() },
  { unsupported: { address: 'not implemented by nodevoy yet' } },
);
