import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type Protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/**
 * @grpc/grpc-js and protobufjs, loaded when the first mux needs them: every nodevoy ships this
 * package, and a server without `dynamic_resources` never pays their load time and memory.
 */
export const grpcJs = (): typeof Grpc => require('@grpc/grpc-js') as typeof Grpc;
export const protobufJs = (): typeof Protobuf => require('protobufjs') as typeof Protobuf;
