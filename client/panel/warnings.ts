/** Every warning code of docs/protocol.md, as a sentence a person reads in the panel. */
const SENTENCES: Record<string, string> = {
  'shallow-history': 'This is a shallow clone: older history is not here, so the oldest commits may be missing.',
  'partial-clone': "This partial clone lacks the file's older versions: the evidence is the commits that changed the file, not its lines.",
  'uncommitted-lines': 'Some of these lines are not committed yet, so they have no history.',
  'embedder-fallback': 'The embedding model could not be loaded; similar questions and commits were matched by their words instead.',
  'line-history-incomplete': "The time limit cut the lines' history short: older changes may be missing.",
  'file-history-incomplete': "The time limit cut the file's history short: older changes may be missing.",
  'time-limit': 'Blame did not finish within the time limit: the answer is partial.',
  'github-unavailable': 'GitHub could not be reached: pull requests and issues are not described.',
  'file-untracked': 'This file is not tracked by git, so it has no history.',
};

/** The sentence for a warning code; `<source>-unavailable` names its source; an unknown code is still said, as itself. */
export function warningSentence(code: string): string {
  const known = SENTENCES[code];
  if (known) return known;
  const source = /^(.+)-unavailable$/.exec(code);
  if (source) return `The ${source[1]!.replace(/-/g, ' ')} evidence could not be gathered in time or failed.`;
  return `Warning: ${code}.`;
}

export const WARNING_CODES = Object.keys(SENTENCES);
