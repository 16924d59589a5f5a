import type { Repository } from '../git/repository';

/** A repository on GitHub or on a GitHub Enterprise Server, and where to reach it. */
export interface GitHubRepository {
  owner: string;
  name: string;
  /** The web root, `https://github.com` or `https://ghe.example.com`: links are built on it. */
  webUrl: string;
  /** The REST API root, `https://api.github.com` or `https://ghe.example.com/api/v3`: the only place a token is sent. */
  apiUrl: string;
  /** The work tree's root commit, when the team tier is on (see `RepositoryRef.secret`). */
  secret?: string;
}

export const GITHUB_API_URL = 'https://api.github.com';

/** What decides the repository besides its remotes: the settings `GITHUB_OWNER`, `GITHUB_REPO`, `GITHUB_API_URL`. */
export interface GitHubTarget {
  owner?: string;
  repo?: string;
  /** Default https://api.github.com. */
  apiUrl?: string;
}

/**
 * The web root that serves an API root: github.com for api.github.com, else the Enterprise host
 * (`https://ghe.example.com/api/v3` → `https://ghe.example.com`).
 */
export function webUrlOf(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
}

/**
 * `owner/name` of a remote URL on `host` (https, ssh://, scp-like `git@host:`, git://), or undefined
 * for anything else: another host never counts, so a repository cannot send the token elsewhere.
 */
export function parseRemote(url: string, host = 'github.com'): { owner: string; name: string } | undefined {
  const text = url.trim();
  const hostPattern = host.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = [
    // https://host/owner/name(.git), ssh://git@host:22/owner/name.git, git://host/owner/name
    new RegExp(`^(?:https?|ssh|git|git\\+ssh)://(?:[^@/]+@)?${hostPattern}(?::\\d+)?/+([\\w.-]+)/([\\w.-]+?)(?:\\.git)?/?$`, 'i'),
    // git@host:owner/name.git
    new RegExp(`^(?:[^@/:]+@)?${hostPattern}:/?([\\w.-]+)/([\\w.-]+?)(?:\\.git)?/?$`, 'i'),
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (match && match[1] !== '.' && match[1] !== '..' && match[2] !== '.' && match[2] !== '..') return { owner: match[1]!, name: match[2]! };
  }
  return undefined;
}

/**
 * The GitHub repository a work tree belongs to: GITHUB_OWNER and GITHUB_REPO when both are set, else
 * `origin`'s URL, else the first other remote on the GitHub host (github.com, or the Enterprise host
 * of GITHUB_API_URL), with git's `url.<base>.insteadOf` rewrites applied as git applies them.
 */
export async function detectGitHubRepository(repo: Repository, target: GitHubTarget = {}): Promise<GitHubRepository | undefined> {
  const apiUrl = (target.apiUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
  const webUrl = webUrlOf(apiUrl);
  if (target.owner && target.repo) return { owner: target.owner, name: target.repo, webUrl, apiUrl };
  const host = new URL(webUrl).host;
  const remotes = await remoteUrls(repo);
  for (const url of remotes) {
    const found = parseRemote(url, host);
    if (found) return { ...found, webUrl, apiUrl };
  }
  return undefined;
}

/** The remotes' fetch URLs, origin first, rewritten by `url.<base>.insteadOf` (the longest prefix wins, as in git). */
async function remoteUrls(repo: Repository): Promise<string[]> {
  const [remotes, rewrites] = await Promise.all([repo.configSection('remote'), repo.configSection('url')]);
  const insteadOf = rewrites
    .filter(([key]) => key.endsWith('.insteadof'))
    .map(([key, prefix]) => ({ base: key.slice('url.'.length, -'.insteadof'.length), prefix }));
  const rewrite = (url: string): string => {
    let best: { base: string; prefix: string } | undefined;
    for (const rule of insteadOf) if (url.startsWith(rule.prefix) && rule.prefix.length > (best?.prefix.length ?? -1)) best = rule;
    return best ? best.base + url.slice(best.prefix.length) : url;
  };
  const urls = remotes.filter(([key]) => key.endsWith('.url')).map(([key, url]) => ({ name: key.slice('remote.'.length, -'.url'.length), url: rewrite(url) }));
  return [...urls.filter((remote) => remote.name === 'origin'), ...urls.filter((remote) => remote.name !== 'origin')].map((remote) => remote.url);
}

export function repositoryUrl(repository: GitHubRepository): string {
  return `${repository.webUrl}/${repository.owner}/${repository.name}`;
}

export function pullRequestUrl(repository: GitHubRepository, number: number): string {
  return `${repositoryUrl(repository)}/pull/${number}`;
}

/** An issue of this repository, or of `other` (`owner/name`, a cross-repository reference) on the same host. */
export function issueUrl(repository: GitHubRepository, number: number, other?: string): string {
  return other ? `${repository.webUrl}/${other}/issues/${number}` : `${repositoryUrl(repository)}/issues/${number}`;
}

export function commitUrl(repository: GitHubRepository, sha: string): string {
  return `${repositoryUrl(repository)}/commit/${sha}`;
}
