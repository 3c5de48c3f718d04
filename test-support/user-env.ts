/**
 * The environment a user's shell would give a command: this one without what the running tap
 * tells its own children (TAP_* variables name the files a child tap runs, and a `tap` started
 * with them finds no tests) or the loaders it adds through NODE_OPTIONS.
 */
export function userEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^_?TAP/i.test(name) && name !== 'NODE_OPTIONS'));
}
