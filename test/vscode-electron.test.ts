import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { build } from 'esbuild';
import { describe, it } from 'vitest';
import { Fixture } from './helpers/fixture';
import { buildQueueHistory } from './helpers/vscode-expectations';

/**
 * The same expectations as test/vscode.test.ts, through VS Code's extension test API, on a machine that
 * has a desktop VS Code: AIL_VSCODE_PATH names its executable (@vscode/test-electron's download cannot
 * run here, and is not used). test/electron/suite.ts runs inside that VS Code.
 */

const VSCODE = process.env.AIL_VSCODE_PATH;
const REPO = path.resolve(__dirname, '..');
if (!VSCODE) process.stderr.write('skipped: set AIL_VSCODE_PATH to a desktop VS Code executable to run the extension test API suite\n');

describe.runIf(VSCODE)('desktop VS Code through @vscode/test-electron', () => {
  it('shows AIL hover and code lenses on the fixture (vscode.executeHoverProvider, executeCodeLensProvider)', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'ail-electron-'));
    const repo = Fixture.create('ail-electron-repo-');
    try {
      const history = buildQueueHistory(repo);
      const suite = path.join(work, 'suite.js');
      await build({ entryPoints: [path.join(__dirname, 'electron/suite.ts')], outfile: suite, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
      await runTests({
        vscodeExecutablePath: VSCODE,
        extensionDevelopmentPath: REPO,
        extensionTestsPath: suite,
        extensionTestsEnv: { AIL_E2E_HISTORY: JSON.stringify(history), AIL_DATA_DIR: path.join(work, 'data'), AIL_ALLOW_MODEL_DOWNLOAD: 'false', AIL_COMMIT_GRAPH: 'false' },
        launchArgs: [repo.root, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--user-data-dir', path.join(work, 'user-data')],
      });
    } finally {
      repo.cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});
