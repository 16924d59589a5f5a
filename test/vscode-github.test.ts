import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInstalled } from './helpers/external';
import { FakeGitHub, user, type Repo } from './helpers/fake-github';
import { ALICE, BOB, Fixture } from './helpers/fixture';
import { CODE_SERVER_VERSION, Workbench, missingForWorkbench } from './helpers/workbench';
import { closesWith, raise } from './helpers/workbench-suite';

/**
 * The pull request in VS Code (code-server, as test/vscode.test.ts drives it): a repository whose remote
 * is a fake GitHub on 127.0.0.1 (`ail.github.apiUrl`), serving GitHub's documented response shapes. The
 * hover names the PR with its link; the Ask Why panel shows its description and the review on the lines.
 */

const WAIT = { timeout: 20_000 };
const REPO: Repo = { owner: 'acme', name: 'queue' };
const REVIEW = 'Throwing here is right because callers must apply back-pressure, not drop jobs silently.';

const available = requireInstalled('the VS Code tests (test/vscode-github.test.ts)', missingForWorkbench());

describe.runIf(available)(`VS Code ${CODE_SERVER_VERSION.replace(/^4\./, '1.')} with AIL and a GitHub`, () => {
  let repo: Fixture;
  let fake: FakeGitHub;
  let workbench: Workbench | undefined;
  const bench = (): Workbench => workbench ?? raise(new Error('the workbench did not start'));

  beforeAll(async () => {
    fake = await FakeGitHub.start();
    repo = Fixture.create('ail-e2e-github-');
    repo.git('remote', 'add', 'origin', `${fake.baseUrl}/${REPO.owner}/${REPO.name}.git`);
    const lines = (bounded: boolean) => ['export class Queue {', '  push(item: string): void {', bounded ? '    if (this.items.length >= 1000) throw new Error("queue full");' : '    // unbounded', '    this.items.push(item);', '  }', '}'];
    const created = repo.write('src/queue.ts', lines(false)).commit('Add a job queue', ALICE);
    const bounded = repo.write('src/queue.ts', lines(true)).commit('Bound the queue', BOB);
    const pr = {
      number: 55,
      title: 'Bound the job queue at 1000 items',
      body: '## Why\nThe worker ran out of memory when producers outpaced it, because the queue grew without limit.',
      state: 'closed' as const,
      mergedAt: '2021-01-03T12:00:00Z',
      author: user('bob'),
      mergeCommitSha: bounded,
    };
    fake.commit(REPO, bounded, [pr]).commit(REPO, created, []);
    fake.pullRequest(REPO, pr, { comments: [{ id: 1, path: 'src/queue.ts', line: 3, body: REVIEW, author: user('alan') }], reviews: [{ id: 10, state: 'APPROVED', body: 'The limit matches what the worker can hold.', author: user('alan') }] });
    workbench = await Workbench.start({ name: 'github', settings: { 'ail.github.apiUrl': fake.baseUrl }, env: { AIL_COMMIT_GRAPH: 'false' } });
  }, 120_000);

  closesWith(() => ({ workbench, repo }));
  afterAll(async () => {
    await fake?.close();
  });

  it("hovers a line and reads the pull request's title, author and link", async () => {
    await bench().openFolder(repo.root);
    const editor = await bench().openFile('src/queue.ts', 'export class Queue');
    // After the lenses (the file's, the class's, the method's): lines they push down cannot move from under the mouse.
    await bench().codeLensTitles(editor, 3);
    // A hover gives GitHub a quarter second; a hover moved away from and back shows what arrived since.
    let text = '';
    for (let attempt = 0; attempt < 20 && !text.includes('Pull request #55'); attempt++) {
      const hover = await bench().hoverLine(editor, 3, 'Bound the queue');
      text = await hover.innerText();
      await bench().page.mouse.move(5, 5);
      await hover.waitFor({ state: 'hidden', timeout: 3000 }).catch(() => undefined);
    }
    expect(text).toContain('Pull request #55: Bound the job queue at 1000 items (@bob)');
    const hover = await bench().hoverLine(editor, 3, 'Pull request #55');
    const link = hover.locator('a', { hasText: 'Pull request #55' });
    expect((await link.getAttribute('data-href')) ?? (await link.getAttribute('href'))).toBe('https://github.com/acme/queue/pull/55');
    await bench().screenshot('github-hover');
    await bench().page.mouse.move(5, 5);
  });

  it("asks why and reads the PR's description, the review on the line and the quoted reason in the panel", async () => {
    await bench().goToLine(3);
    await bench().runCommand('AIL: Ask Why');
    const input = bench().page.locator('.quick-input-widget input');
    await expect.poll(() => input.inputValue(), WAIT).toBe('Why does this code exist?');
    await input.press('Enter');
    const panel = await bench().webview('AIL: Ask Why');
    await panel.locator('body:not(.busy) p.summary', { hasText: 'Reviewing #55, @alan wrote on these lines' }).waitFor();
    await bench().screenshot('github-panel');
    expect(await panel.locator('p.summary').innerText()).toContain(`“${REVIEW}”`);
    expect(await panel.locator('blockquote.pr-body p').innerText()).toContain('The worker ran out of memory when producers outpaced it');
    expect(await panel.locator('.review-comments li').first().innerText()).toBe(`@alan: ${REVIEW}`);
    expect(await panel.locator('.reviews li').first().innerText()).toBe('@alan approved: The limit matches what the worker can hold.');
  });
});
