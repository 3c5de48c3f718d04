import type { SuiteLike, TestLike } from '@nodevoy/test-kit';

/**
 * Runs the scenarios of a compliance suite whose names match `only`, each as a subtest of `t`,
 * and resolves with the names of those that failed, sorted: how the kit's own tests show that a
 * suite catches what it promises to.
 */
export async function failingScenarios(t: TestLike & { test: SuiteLike['test'] }, runSuite: (suite: SuiteLike) => void, only: RegExp): Promise<string[]> {
  const failed: string[] = [];
  const running: unknown[] = [];
  runSuite({
    test(name, fn) {
      if (!only.test(name)) return;
      running.push(t.test(name, (sub) => fn(sub).catch(() => void failed.push(name))));
    },
  });
  await Promise.all(running);
  return failed.sort();
}
