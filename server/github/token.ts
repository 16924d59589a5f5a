import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';

/** Where the token in use came from, in the order they are asked. */
export type TokenSource = 'client' | 'environment' | 'gh';

export interface Token {
  value: string;
  source: TokenSource;
}

/** How long `gh auth token`'s answer (a token, or none) is kept before gh is asked again. */
const GH_TTL_MS = 5 * 60_000;
const GH_TIMEOUT_MS = 3000;

/**
 * The GitHub token, asked for each request rather than read once: the VS Code client's (SecretStorage,
 * sent with `ail/setGitHubToken`, which can change or clear it at any time), else `GITHUB_TOKEN`, else
 * what the gh CLI is logged in with (`gh auth token --hostname HOST`, when gh is installed). No token:
 * GitHub is asked without one, at the unauthenticated budget.
 *
 * A token is never logged, never put in an error, a cache file or an answer, and never reaches git (its
 * environment is an allowlist).
 */
export class GitHubTokens {
  private fromClient: string | undefined;
  private readonly fromGh = new Map<string, { at: number; token: Promise<string | undefined> }>();

  constructor(
    private readonly environment: string | undefined,
    /** The gh executable; false never runs it. */
    private readonly gh: string | false = 'gh',
  ) {}

  /** The client's token (`undefined` forgets it). */
  setFromClient(token: string | undefined): void {
    this.fromClient = token?.trim() || undefined;
  }

  /** Whether any token is known without asking gh. */
  get hasExplicit(): boolean {
    return this.fromClient !== undefined || this.environment !== undefined;
  }

  /** The token for the GitHub at `host` (github.com, or an Enterprise host), or undefined. */
  async token(host = 'github.com'): Promise<Token | undefined> {
    if (this.fromClient) return { value: this.fromClient, source: 'client' };
    if (this.environment) return { value: this.environment, source: 'environment' };
    const value = await this.ghToken(host);
    return value ? { value, source: 'gh' } : undefined;
  }

  /** GitHub refused `token` (401): gh is asked again next time, in case the user has logged in since. */
  refused(token: Token): void {
    if (token.source === 'gh') this.fromGh.clear();
  }

  private ghToken(host: string): Promise<string | undefined> {
    if (!this.gh) return Promise.resolve(undefined);
    const kept = this.fromGh.get(host);
    if (kept && Date.now() - kept.at < GH_TTL_MS) return kept.token;
    const token = runGh(this.gh, host);
    this.fromGh.set(host, { at: Date.now(), token });
    return token;
  }
}

/**
 * `gh auth token --hostname HOST`, run outside any repository (a repository's files cannot change what
 * it does), with a time limit. gh not installed, not logged in, or failing: undefined, never an error.
 */
function runGh(gh: string, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(gh, ['auth', 'token', '--hostname', host], { cwd: tmpdir(), timeout: GH_TIMEOUT_MS, windowsHide: true, env: { ...process.env, GH_PROMPT_DISABLED: '1', GH_NO_UPDATE_NOTIFIER: '1' } }, (error, stdout) => {
      const token = String(stdout).trim();
      resolve(!error && /^[\x21-\x7e]+$/.test(token) ? token : undefined);
    });
  });
}
