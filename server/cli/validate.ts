import * as path from 'node:path';
import { settingsFromEnv } from '../../shared/settings';
import { safeJson, visible } from '../../shared/visible';
import { composeEngine } from '../compose';
import { processStarter } from '../git/process';
import { GitRunner } from '../git/runner';
import { rebuiltSentence } from './index-commands';
import { parseRepoOptions } from './options';
import { progressPrinter } from './progress';

interface Check {
  name: string;
  run: () => Promise<string>;
}

/**
 * `ail validate`: git, the repository, an answer, the embedder, the index and a search, end to end,
 * one line per check and a summary; exit 1 when any check fails.
 */
export async function runValidate(argv: readonly string[], out: NodeJS.WriteStream, err: NodeJS.WriteStream): Promise<number> {
  const options = parseRepoOptions('validate', argv);
  const directory = path.resolve(options.repo);
  const settings = { ...settingsFromEnv(process.env), semanticIndexEnabled: true };
  const engine = composeEngine(settings, { buildIndexes: true, onProgress: progressPrinter(err) });
  const results: { name: string; ok: boolean; detail: string }[] = [];
  const context: { root?: string; head?: string; file?: string } = {};
  const checks: Check[] = [
    {
      name: 'git',
      run: async () => {
        const version = await new GitRunner(directory).output(['--version']);
        const starter = processStarter() === 'posix_spawn' ? 'started with posix_spawn' : "started with Node's spawn: the native addon was not built (a C compiler at npm ci builds it), so each git call holds the server a few ms longer";
        return `${version.trim()}, ${starter}`;
      },
    },
    {
      name: 'repository',
      run: async () => {
        const { repo } = await engine.registry.forDirectory(directory);
        context.root = repo.root;
        context.head = await repo.requireHead();
        const files = (await repo.git.output(['ls-files', '-z', '--', '.'])).split('\0').filter(Boolean);
        for (const file of files) {
          try {
            await repo.headFile(file, context.head);
            context.file = file;
            break;
          } catch {
            // binary or unreadable: try the next file
          }
        }
        if (!context.file) throw new Error('no text file is committed at HEAD');
        return `${repo.root} at ${context.head.slice(0, 12)}${repo.shallow ? ' (shallow)' : ''}`;
      },
    },
    {
      name: 'answer',
      run: async () => {
        const answer = await engine.answers.ask({ path: path.join(context.root!, context.file!), lines: { start: 0, end: 0 }, timeLimitMs: settings.maxQueryTimeS * 1000 });
        if (answer.evidence.length === 0) throw new Error(`no evidence for ${context.file}:1`);
        // Partial answers are not cached: say so, rather than that the cache missed.
        if (answer.partial) {
          throw new Error(`the answer for ${context.file}:1 was partial (${answer.warnings.join(', ') || 'cut short'}) within AIL_MAX_QUERY_TIME_S=${settings.maxQueryTimeS} s, and partial answers are not cached`);
        }
        const again = await engine.answers.ask({ path: path.join(context.root!, context.file!), lines: { start: 0, end: 0 }, timeLimitMs: settings.maxQueryTimeS * 1000 });
        if (again.source !== 'l1') throw new Error(`the same question again came from '${again.source}', not the L1 cache`);
        return `${context.file}:1 → ${answer.evidence[0]!.commit.shortSha} in ${answer.queryTimeMs.toFixed(0)} ms, then from L1 in ${again.queryTimeMs.toFixed(2)} ms`;
      },
    },
    {
      name: 'embedder',
      run: async () => {
        const state = await engine.semantic.start();
        if (state.kind !== 'ready') throw new Error('the embedder did not load');
        const [vector] = await state.embedder.embed(['why does this code exist?']);
        let norm = 0;
        for (const value of vector!) norm += value * value;
        if (vector!.length !== state.embedder.dimension || Math.abs(Math.sqrt(norm) - 1) > 1e-3) throw new Error(`${state.embedder.id} returned a vector of ${vector!.length} dimensions and norm ${Math.sqrt(norm).toFixed(3)}`);
        return `${state.embedder.id}, ${state.embedder.dimension} dimensions${state.fallback ? ` (fallback: ${state.fallback})` : ''}`;
      },
    },
    {
      name: 'index',
      run: async () => {
        const { repo } = await engine.registry.forDirectory(directory);
        const index = await engine.semantic.ready(repo);
        if (!index || index.state !== 'ready') throw new Error(index?.reason ?? 'no index');
        const total = Number((await repo.git.output(['rev-list', '--count', context.head!])).trim());
        if (index.count !== total) throw new Error(`${index.count} commits indexed, ${total} in history`);
        const run = index.lastRun;
        if (run?.reason) return `${index.count} commits in ${engine.semantic.indexDir(repo)}; ${rebuiltSentence(run.reason)}`;
        return `${index.count} commits, ${run?.kind ?? 'ready'}, in ${engine.semantic.indexDir(repo)}`;
      },
    },
    {
      name: 'search',
      run: async () => {
        const { repo } = await engine.registry.forDirectory(directory);
        const head = await repo.commit(context.head!);
        const index = engine.semantic.indexFor(repo);
        const query = `${head!.subject}\n${head!.body}`;
        const hits = (await index?.search(query, 5)) ?? [];
        if (!hits.some((hit) => hit.sha === context.head)) throw new Error(`searching for HEAD's own message did not find HEAD (${hits.length} hits)`);
        return `HEAD's message finds HEAD (similarity ${hits.find((hit) => hit.sha === context.head)!.similarity.toFixed(3)})`;
      },
    },
  ];
  try {
    for (const check of checks) {
      let result: (typeof results)[number];
      try {
        result = { name: check.name, ok: true, detail: await check.run() };
      } catch (error) {
        result = { name: check.name, ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
      results.push(result);
      if (!options.json) out.write(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name.padEnd(10)} ${visible(result.detail)}\n`);
      if (!result.ok && (check.name === 'git' || check.name === 'repository')) break; // nothing after these can run
    }
  } finally {
    await engine.dispose();
  }
  const failed = results.filter((result) => !result.ok).length;
  const skipped = checks.length - results.length;
  if (options.json) out.write(`${safeJson({ passed: results.length - failed, failed, skipped, checks: results })}\n`);
  else out.write(`${results.length - failed} checks passed, ${failed} failed${skipped ? `, ${skipped} not run` : ''}\n`);
  return failed > 0 || skipped > 0 ? 1 : 0;
}
