import { AilError } from '../util/errors';

/** `--repo DIR` and `--json`, the options `ail stats`, `ail index` and `ail validate` share. */
export function parseRepoOptions(command: string, argv: readonly string[]): { repo: string; json: boolean } {
  let repo = process.cwd();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--repo') {
      const value = argv[++i];
      if (!value) throw new AilError('bad-argument', '--repo needs a directory');
      repo = value;
    } else if (arg.startsWith('--repo=')) repo = arg.slice('--repo='.length);
    else throw new AilError('bad-argument', `unknown ${arg.startsWith('-') ? 'option' : 'argument'} ${arg} (ail ${command} takes --repo DIR and --json)`);
  }
  return { repo, json };
}
