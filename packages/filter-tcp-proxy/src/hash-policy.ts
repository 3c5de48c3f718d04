import { schema, xxHash64, type MessageValue } from '@nodevoy/core';

const { message, empty, required, string } = schema;

/** `envoy.type.v3.HashPolicy`: what tcp_proxy hashes a connection by for RING_HASH and MAGLEV clusters. */
export const tcpHashPolicySchema = message(
  'envoy.type.v3.HashPolicy',
  {
    source_ip: empty('envoy.type.v3.HashPolicy.SourceIp'),
    filter_state: message('envoy.type.v3.HashPolicy.FilterState', { key: required(string({ minLen: 1 })) }),
  },
  { oneofs: [{ fields: ['source_ip', 'filter_state'], required: true }] },
);
export type TcpHashPolicyConfig = MessageValue<typeof tcpHashPolicySchema.fields>;

/** What a connection offers to be hashed by. */
export interface TcpHashInput {
  readonly remoteIp: string | undefined;
  filterStateString(key: string): string | undefined;
}

/** Envoy's tcp_proxy hash: the first policy (Envoy takes one) applied to the downstream connection. */
export function tcpConnectionHash(policies: readonly TcpHashPolicyConfig[] | undefined): ((input: TcpHashInput) => bigint | undefined) | undefined {
  const policy = policies?.[0];
  if (!policy) return undefined;
  if (policy.filter_state) {
    const key = policy.filter_state.key;
    return (input) => {
      const value = input.filterStateString(key);
      return value === undefined ? undefined : xxHash64(value);
    };
  }
  return (input) => (input.remoteIp === undefined ? undefined : xxHash64(input.remoteIp));
}
