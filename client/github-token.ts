import type { SecretStorage } from 'vscode';

const KEY = 'ail.githubToken';

/** The GitHub token in VS Code's SecretStorage (the OS keychain): never in settings.json, never logged. */
export class GitHubToken {
  constructor(private readonly secrets: SecretStorage) {}

  get(): Thenable<string | undefined> {
    return this.secrets.get(KEY);
  }

  store(token: string): Thenable<void> {
    return this.secrets.store(KEY, token);
  }

  clear(): Thenable<void> {
    return this.secrets.delete(KEY);
  }
}

/** What the input box says of a token before it is kept: a sentence, or undefined when it looks right. Never echoes the token. */
export function tokenProblem(token: string): string | undefined {
  const value = token.trim();
  if (value === '') return 'Paste a GitHub token (a fine-grained token with read access to the repository is enough).';
  if (/\s/.test(value) || /[\u0000-\u001f\u007f]/.test(value) || value.length > 1024) return 'A token is one word of printable characters.';
  return undefined;
}
