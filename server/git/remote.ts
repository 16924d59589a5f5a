import type { Repository } from './repository';

export interface GitHubRepository {
  owner: string;
  name: string;
}

/** `owner/name` of a GitHub remote URL (https, ssh, git@), or undefined for anything else. */
export function parseGitHubRemote(url: string): GitHubRepository | undefined {
  const match = /github\.com[:/]+([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return match ? { owner: match[1]!, name: match[2]! } : undefined;
}

/** The GitHub repository of `origin` (or of the first GitHub remote), from the repository's config. */
export async function githubRepository(repo: Repository): Promise<GitHubRepository | undefined> {
  const origin = await repo.configValue('remote.origin.url');
  return origin ? parseGitHubRemote(origin) : undefined;
}

export function pullRequestUrl(repository: GitHubRepository, number: number): string {
  return `https://github.com/${repository.owner}/${repository.name}/pull/${number}`;
}

export function issueUrl(repository: GitHubRepository, number: number, other?: string): string {
  return other ? `https://github.com/${other}/issues/${number}` : `https://github.com/${repository.owner}/${repository.name}/issues/${number}`;
}

export function commitUrl(repository: GitHubRepository, sha: string): string {
  return `https://github.com/${repository.owner}/${repository.name}/commit/${sha}`;
}
