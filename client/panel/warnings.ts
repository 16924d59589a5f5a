import type { WarningCode } from '../../shared/types';

/** Every warning code of docs/protocol.md, as a sentence a person reads in the panel (the compiler checks that none is missing). */
const SENTENCES: Record<WarningCode, string> = {
  'shallow-history': 'This is a shallow clone: older history is not here, so the oldest commits may be missing.',
  'partial-clone': "This partial clone lacks the file's older versions: the evidence is the commits that changed the file, not its lines.",
  'uncommitted-lines': 'Some of these lines are not committed yet, so they have no history.',
  'embedder-fallback': 'The embedding model could not be loaded; similar questions and commits were matched by their words instead.',
  'line-history-incomplete': "The time limit cut the lines' history short: older changes may be missing.",
  'file-history-incomplete': "The time limit cut the file's history short: older changes may be missing.",
  'topic-search-incomplete': 'The time limit cut the search for commits that name what you asked about short: some may be missing.',
  'time-limit': 'Blame did not finish within the time limit: the answer is partial.',
  'github-unavailable': 'GitHub could not be reached: pull requests and issues are not described.',
  'file-untracked': 'This file is not tracked by git, so it has no history.',
  'github-auth': 'GitHub refused the token (it is wrong, expired or lacks access): pull requests and issues are not described. Set a new one with "AIL: Set GitHub Token".',
  'github-rate-limited': "GitHub's rate limit is spent: pull requests and issues are described again when it resets.",
  'semantic-unavailable': 'The search of commit messages could not be done in time or failed: commits found by meaning may be missing.',
  'merge-commit-unavailable': 'The merge commits could not be read in time: pull requests named by merges may be missing.',
  'team-cache-unavailable': "The team's shared cache (Redis) could not be used: this answer was dug here and not shared.",
  'pull-refs-unavailable': "The clone's pull request refs could not be read in time: pull requests may be missing.",
};

/** The sentence for a warning code; `<source>-unavailable` names its source; an unknown code is still said, as itself. */
export function warningSentence(code: string): string {
  const known = (SENTENCES as Record<string, string>)[code];
  if (known) return known;
  const source = /^(.+)-unavailable$/.exec(code);
  if (source) return `The ${source[1]!.replace(/-/g, ' ')} evidence could not be gathered in time or failed.`;
  return `Warning: ${code}.`;
}

export const WARNING_CODES = Object.keys(SENTENCES);
