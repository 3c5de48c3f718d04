import { createRequire } from 'node:module';
import type * as Grpc from '@grpc/grpc-js';
import type Protobuf from 'protobufjs';

/** This package's own `require`: for the lazily loaded modules and for finding the `.proto` files. */
export const packageRequire = createRequire(import.meta.url);

/**
 * @grpc/grpc-js and protobufjs, loaded when the first mux needs them: every nodevoy ships this
 * package, and a server without `dynamic_resources` never pays their load time and memory.
 */
export const grpcJs = (): typeof Grpc => packageRequire('@grpc/grpc-js') as typeof Grpc;
export const protobufJs = (): typeof Protobuf => packageRequire('protobufjs') as typeof Protobuf;
