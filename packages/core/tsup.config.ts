import { readFileSync } from 'node:fs';
import { packageBuild } from '../../tsup.base.js';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default packageBuild(undefined, { define: { __NODEVOY_CORE_VERSION__: JSON.stringify(version) } });
