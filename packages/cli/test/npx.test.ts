// The README runs the CLI as `npx nodevoy ...` from the repository: after `npm ci` the
// workspace root must link the `nodevoy` bin, or npx goes to the registry and fails with E404.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { REPO_ROOT } from '../../../test-support/paths.js';

t.test('npx nodevoy runs the workspace CLI, without the registry', async (t) => {
  const run = spawnSync('npx', ['--no-install', 'nodevoy', '-c', 'configs/envoy/terminate_http_in_http2_connect.yaml', '--mode', 'validate'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, "configuration 'configs/envoy/terminate_http_in_http2_connect.yaml' OK");
});
