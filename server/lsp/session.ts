import { fileURLToPath } from 'node:url';
import type { Connection, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Settings } from '../../shared/settings';
import type { ArchaeologyContext } from '../../shared/types';
import type { Engine } from '../engine';
import type { GitHubRepository } from '../github/repository';
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
  /** The AIL commands the client runs itself (`initializationOptions.clientCommands`), set at initialize. */
  clientCommands: readonly string[] = [];

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
    return this.engine.ask({
        path: fileURLToPath(options.uri),
        lines: options.lines,
        question: options.question,
        maxEvidence: options.maxEvidence,
        contents: document?.getText(),
        depth: options.depth,
        timeLimitMs: options.timeLimitMs === undefined ? limit : Math.min(limit, options.timeLimitMs),
        signal: options.signal,
        fresh: options.fresh,
        github: settings,
      });
  }

  /** The GitHub repository of the work tree holding `uri`, for links (GITHUB_OWNER/GITHUB_REPO first). */
  async github(uri: string): Promise<GitHubRepository | undefined> {
    return this.engine.githubRepository(fileURLToPath(uri), await this.settings.get(uri));
  }
}
