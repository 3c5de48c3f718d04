import { readFileSync } from 'node:fs';
import { SEED_DOC } from './paths.js';

/** The seed document's example config, exactly as the document has it (de-indented). */
export function seedExampleYaml(): string {
  const doc = readFileSync(SEED_DOC, 'utf8');
  const start = doc.indexOf('.. code-block:: yaml');
  const end = doc.indexOf('Real world use cases', start);
  const block = doc.slice(start, end).split('\n').slice(1);
  return block
    .filter((line, i) => !(i === 0 && line.trim() === ''))
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n')
    .trimEnd()
    .concat('\n');
}
