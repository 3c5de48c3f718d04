import { addressSchema, Category, extensionPackage, schema, type AddressConfig, type CheckReporter, type MessageValue, type NodevoyExtension, type StatsSinkFactory } from '@nodevoy/core';
import { UdpStatsdSink, type MetricNaming } from './udp-statsd-sink.js';

const { message, string, uint64 } = schema;

/** Envoy's prefix when the config names none. */
const DEFAULT_PREFIX = 'envoy';

/** A statsd server is a UDP socket address. */
function checkUdpAddress(address: AddressConfig | undefined, report: CheckReporter): void {
  if (address && !address.socket_address) report('address', 'a statsd sink sends UDP datagrams to a socket_address');
}

const statsdSinkSchema = message(
  'envoy.config.metrics.v3.StatsdSink',
  { address: addressSchema, prefix: string() },
  {
    oneofs: [{ fields: ['address'], required: true }],
    unsupported: { tcp_cluster_name: 'statsd over TCP through a cluster is not implemented by nodevoy yet; use address (UDP)' },
    check: (value, report) => checkUdpAddress(value.address, report),
  },
);
type StatsdSinkConfig = MessageValue<typeof statsdSinkSchema.fields>;

const dogStatsdSinkSchema = message(
  'envoy.config.metrics.v3.DogStatsdSink',
  { address: addressSchema, prefix: string(), max_bytes_per_datagram: uint64() },
  { oneofs: [{ fields: ['address'], required: true }], check: (value, report) => checkUdpAddress(value.address, report) },
);
type DogStatsdSinkConfig = MessageValue<typeof dogStatsdSinkSchema.fields>;

function udpSink(config: StatsdSinkConfig | DogStatsdSinkConfig, naming: MetricNaming, maxBytesPerDatagram: number): UdpStatsdSink {
  const socket = config.address?.socket_address as NonNullable<AddressConfig['socket_address']>;
  return new UdpStatsdSink({ host: socket.address, port: socket.port_value ?? 0, prefix: config.prefix || DEFAULT_PREFIX, naming, maxBytesPerDatagram });
}

/** `envoy.stat_sinks.statsd`: every stat by its full name. */
export const statsdSink: StatsSinkFactory<StatsdSinkConfig> = {
  name: 'envoy.stat_sinks.statsd',
  category: Category.statsSink,
  typeUrls: ['type.googleapis.com/envoy.config.metrics.v3.StatsdSink'],
  configSchema: statsdSinkSchema,
  createStatsSink: (config) => udpSink(config, 'plain', 0),
};

/** `envoy.stat_sinks.dog_statsd`: stats by their tag-extracted names, with Envoy's tags. */
export const dogStatsdSink: StatsSinkFactory<DogStatsdSinkConfig> = {
  name: 'envoy.stat_sinks.dog_statsd',
  category: Category.statsSink,
  typeUrls: ['type.googleapis.com/envoy.config.metrics.v3.DogStatsdSink'],
  configSchema: dogStatsdSinkSchema,
  createStatsSink: (config) => udpSink(config, 'tagged', config.max_bytes_per_datagram ?? 0),
};

export const extension: NodevoyExtension = {
  ...extensionPackage(import.meta.url),
  register(registry) {
    registry.add(statsdSink).add(dogStatsdSink);
  },
};
