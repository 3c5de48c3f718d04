export { scaffold, TOOL_VERSIONS, type ScaffoldOptions } from './scaffold.js';
export { extensionNames, ScaffoldError, type ExtensionNames } from './names.js';
export type { ExtensionKind } from './templates.js';
