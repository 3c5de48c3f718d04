/**
 * @nodevoy/test-kit: what a filter author needs to test an extension against a real nodevoy:
 * servers in-process or as the CLI, port 0 everywhere, stat waits, real clients, and the
 * compliance suites every filter must pass.
 */
export type { TestLike } from './test-like.js';
export { scratchDir } from './test-like.js';
export { waitFor } from './wait.js';
export { waitForLines } from './files.js';
export { AdminClient } from './admin-client.js';
export { NODEVOY_BIN } from './cli-bin.js';
export { startNodevoy, runNodevoy, writeConfig, type RunningNodevoy, type StartOptions, type CliResult } from './cli-process.js';
export { startInProcess, type InProcessNodevoy } from './in-process.js';
export { configProblems } from './config-problems.js';
export { testHost, type TestHostOptions } from './hosts.js';
export * from './configs.js';
export * from './http.js';
export * from './tcp.js';
export { Recorder, RECORDER_FILTER, patternBytes, type RecordedConnection } from './network/recorder.js';
export {
  DOWNSTREAM_TLS_CONTEXT,
  TLS_INSPECTOR,
  UPSTREAM_TLS_CONTEXT,
  certificateFiles,
  chainsBootstrap,
  directResponseChain,
  tcpProxyChain,
  tlsCertificate,
  tlsTransportSocket,
} from './tls/configs.js';
export { HBONE_CLIENT_ID, HBONE_WAYPOINT_ID, hboneIdentities, hboneOriginConfig, hboneWaypointConfig, type HboneFiles } from './tls/hbone.js';
export { createCertificateAuthority, type CertificateAuthority, type IssuedCertificate, type IssueOptions } from './tls/certificates.js';
export { tlsExchange } from './tls/client.js';
export type { BadConfig, ComplianceOptions, FilterUnderTest, SuiteLike } from './compliance/filter-under-test.js';
export { networkFilterCompliance } from './compliance/network-filter.js';
export { httpFilterCompliance, type HttpFilterUnderTest } from './compliance/http-filter.js';
