/**
 * `maxSessionMemory` for every node:http2 session nodevoy opens, in MB: in effect no limit.
 * node:http2 refuses new streams with ENHANCE_YOUR_CALM once a session's accounted memory passes
 * the limit (10 MB by default), and data written on a stream that is then reset stays accounted,
 * so a long-lived connection whose client cancels responses ends up refusing every request.
 * Envoy has no such limit: flow-control windows and the buffer limits bound a connection's
 * memory, and nodevoy applies those itself.
 */
export const HTTP2_SESSION_MEMORY_MB = 1 << 20;
