import { fileURLToPath } from 'node:url';
import type { Connection, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Settings } from '../../shared/settings';
import type { ArchaeologyContext } from '../../shared/types';
import type { Engine } from '../compose';
import { githubRepository, type GitHubRepository } from '../git/remote';
import { FlightCache } from '../util/flight';
import type { SettingsPuller } from './settings';
import type { StatusNotifier } from './status';

export interface AskOptions {
  uri: string;
  /** 0-based inclusive; omitted: the whole file. */
  lines?: { start: number; end: number };
  question?: string;
  maxEvidence?: number;
  depth: 'quick' | 'full';
  signal: AbortSignal;
  /** A tighter limit than the setting, e.g. a hover's budget. */
  timeLimitMs?: number;
  /** Bypass both answer caches. */
  fresh?: boolean;
}

/** What every handler shares: the engine, the open documents, the pulled settings, the status notifier. */
export class Session {
  private readonly githubByRoot = new FlightCache<string, GitHubRepository | undefined>(16);
  /** The AIL commands the client runs itself (`initializationOptions.clientCommands`), set at initialize. */
  clientCommands: readonly string[] = [];
  /**
   * The GitHub token the client sent (`ail/setGitHubToken`), else GITHUB_TOKEN; in memory only, for
   * the GitHub work to come. Never logged, never passed to git (git's environment is an allowlist).
   */
  githubToken: string | undefined;

  constructor(
    readonly connection: Connection,
    readonly engine: Engine,
    readonly documents: TextDocuments<TextDocument>,
    readonly settings: SettingsPuller,
    readonly status: StatusNotifier,
  ) {}

  /** Asks through the caches, with the open document's unsaved text and the document's settings. */
  async ask(options: AskOptions): Promise<ArchaeologyContext> {
    const settings: Settings = await this.settings.get(options.uri);
    const document = this.documents.get(options.uri);
    const limit = settings.maxQueryTimeS * 1000;
    try {
      return await this.engine.answers.ask({
        path: fileURLToPath(options.uri),
        lines: options.lines,
        question: options.question,
        maxEvidence: options.maxEvidence,
        contents: document?.getText(),
        depth: options.depth,
        timeLimitMs: options.timeLimitMs === undefined ? limit : Math.min(limit, options.timeLimitMs),
        signal: options.signal,
        fresh: options.fresh,
      });
    } finally {
      this.status.changed();
    }
  }

  /** The GitHub repository of the work tree holding `uri`, for links (GITHUB_OWNER/GITHUB_REPO first). */
  async github(uri: string): Promise<GitHubRepository | undefined> {
    const settings = await this.settings.get(uri);
    if (settings.githubOwner && settings.githubRepo) return { owner: settings.githubOwner, name: settings.githubRepo };
    try {
      const { repo } = await this.engine.registry.forFile(fileURLToPath(uri));
      return await this.githubByRoot.get(repo.root, () => githubRepository(repo));
    } catch {
      return undefined;
    }
  }
}
