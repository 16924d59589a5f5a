import { rmSync } from 'node:fs';
import { afterAll, beforeEach } from 'vitest';
import type { Fixture } from './fixture';
import type { Workbench } from './workbench';

/**
 * A suite's workbench, closed on every path: a step that fails leaves a picture of what the workbench
 * showed, and afterwards code-server, the fixtures and their recorded git logs are gone.
 */
export function closesWith(current: () => { workbench: Workbench | undefined; repo: Fixture | readonly Fixture[] | undefined }): void {
  beforeEach(({ onTestFailed, task }) => {
    onTestFailed(async () => {
      await current().workbench?.screenshot(`failed-${task.name.split(' ')[0]}`).catch(() => undefined);
    });
  });
  afterAll(async () => {
    const { workbench, repo } = current();
    await workbench?.close();
    for (const fixture of repo === undefined ? [] : Array.isArray(repo) ? repo : [repo as Fixture]) {
      rmSync(`${fixture.root}-git`, { recursive: true, force: true });
      fixture.cleanup();
    }
  });
}

export function raise(error: Error): never {
  throw error;
}
