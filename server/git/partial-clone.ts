/**
 * A partial clone (`git clone --filter=blob:none`) leaves older file versions on its promisor remote
 * and has git fetch each one the moment something reads it. That fetch runs what the repository's
 * config names (`core.sshCommand`, `remote.<name>.uploadpack`), so AIL's git never makes it (see
 * `gitEnvironment`): a read of such an object fails, and git says why on stderr.
 */

/** Whether git failed because an object is on the promisor remote and was not fetched. */
export function lacksObjects(stderr: string): boolean {
  return stderr.includes('lazy fetching disabled') || stderr.includes('from promisor remote');
}

/** A blame (or another walk) needed file versions that this partial clone does not have. */
export class ObjectsMissingError extends Error {
  constructor(what: string) {
    super(`${what} needs file versions that this partial clone does not have`);
    this.name = 'ObjectsMissingError';
  }
}

/** The command that fetches every object a partial clone left on `remote`, so that blame can run. */
export function fillInCommand(remote: string | undefined): string {
  return `git fetch --refetch --no-filter ${remote ?? 'origin'}`;
}
