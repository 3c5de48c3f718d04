// `npm create nodevoy-extension <directory> [--http] [--name <package>] [--extension-name <name>]`
import { parseArgs } from 'node:util';
import { ScaffoldError } from './names.js';
import { scaffold } from './scaffold.js';

const USAGE = `usage: npm create nodevoy-extension <directory> [-- --http] [--name <npm package>] [--extension-name <name>]

Writes a nodevoy filter package: a network filter (the default) or, with --http, an HTTP filter,
with its typed config, registration, tests (the test kit's compliance suite included) and README.`;

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { http: { type: 'boolean' }, name: { type: 'string' }, 'extension-name': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const directory = positionals[0];
  if (!directory || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const files = scaffold({
      directory,
      kind: values.http ? 'http' : 'network',
      ...(values.name ? { packageName: values.name } : {}),
      ...(values['extension-name'] ? { extensionName: values['extension-name'] } : {}),
    });
    process.stdout.write(`created ${directory}:\n${files.map((file) => `  ${file}`).join('\n')}\n\nnext: cd ${directory} && npm install && npm test\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ScaffoldError)) throw error;
    process.stderr.write(`create-nodevoy-extension: ${error.message}\n`);
    return 1;
  }
}

process.exitCode = main();
