import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DidOpenTextDocumentNotification, HoverRequest } from 'vscode-languageserver-protocol/node';
import { runCli } from './helpers/cli';
import { Fixture, lines } from './helpers/fixture';
import { TestClient } from './helpers/lsp';
import { processesIn } from './helpers/processes';

/** Faults from outside: a git process killed under AIL, lock files left by another git. */
describe('faults', () => {
  const repo = Fixture.create();
  const shim = `${repo.root}-bin`;
  const killBlame = `${repo.root}-kill-blame`;
  let sha = '';
  beforeAll(() => {
    repo.write('src/a.ts', lines(4));
    repo.commit('Add a');
    repo.write('src/a.ts', [...lines(4), 'five']);
    sha = repo.commit('Add a fifth line for the parser');
    // git, except that a blame dies at once (as under the OOM killer) while a flag file exists.
    const git = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    mkdirSync(shim);
    writeFileSync(
      path.join(shim, 'git'),
      `#!/bin/sh\ncase " $* " in *" blame "*) [ -e '${killBlame}' ] && kill -9 $$ ;; esac\nexec '${git}' "$@"\n`,
      { mode: 0o755 },
    );
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(shim, { recursive: true, force: true });
    rmSync(killBlame, { force: true });
  });
  const env = () => ({ PATH: `${shim}${path.delimiter}${process.env.PATH}`, AIL_COMMIT_GRAPH: 'false' });

  it('says which git process was killed, and the language server answers again once git runs', async () => {
    writeFileSync(killBlame, '');
    const cli = await runCli(['ask', 'src/a.ts:5'], { cwd: repo.root, env: env() });
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toBe(`ail: git blame src/a.ts at ${sha.slice(0, 12)} failed: git was killed by SIGKILL\n`);
    expect(cli.code).toBe(1);

    const client = await TestClient.start(repo.root, { ...env(), AIL_INDEX_ENABLED: 'false', AIL_ALLOW_MODEL_DOWNLOAD: 'false' });
    try {
      const uri = pathToFileURL(repo.path('src/a.ts')).href;
      await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'typescript', version: 1, text: [...lines(4), 'five'].join('\n') + '\n' } });
      const hover = () => client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 4, character: 0 } });
      expect(await hover()).toBeNull();
      await client.status((stats) => stats.warming === 0);
      rmSync(killBlame);
      expect(JSON.stringify(await hover())).toContain('Add a fifth line for the parser');
    } finally {
      await client.stop();
    }
    expect(processesIn(repo.root)).toEqual([]);
  });

  it('answers beside the lock files another git left behind, and leaves them as they were', async () => {
    const locks = ['index.lock', 'HEAD.lock', 'config.lock', 'packed-refs.lock', 'refs/heads/main.lock', 'shallow.lock', 'objects/info/commit-graph.lock'];
    for (const lock of locks) writeFileSync(repo.path(`.git/${lock}`), '');
    try {
      const cli = await runCli(['ask', 'src/a.ts:5'], { cwd: repo.root, env: { AIL_COMMIT_GRAPH: 'false' } });
      expect(cli.stderr).toBe('');
      expect(cli.stdout).toContain('Line 5 comes from');
      expect(cli.stdout).toContain('Add a fifth line for the parser');
      for (const lock of locks) expect(existsSync(repo.path(`.git/${lock}`))).toBe(true);
    } finally {
      for (const lock of locks) rmSync(repo.path(`.git/${lock}`), { force: true });
    }
    expect(processesIn(repo.root)).toEqual([]);
  });
});
