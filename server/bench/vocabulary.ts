/**
 * The words, people and message templates the synthetic history is made of. The tables are part of
 * the generator's output: changing any entry (or its position) changes every sha after the first
 * commit that uses it.
 */

/** A commit author or committer as fast-import writes it. */
export interface Signature {
  name: string;
  email: string;
  tz: string;
}

export const AUTHORS: readonly Signature[] = [
  { name: 'Alice Johnson', email: 'alice@example.com', tz: '-0800' },
  { name: 'Bob Smith', email: 'bob.smith@example.com', tz: '-0500' },
  { name: 'Carol Nguyen', email: 'carol@example.org', tz: '-0700' },
  { name: 'David Okafor', email: 'dokafor@example.com', tz: '+0100' },
  { name: 'Emma Schmidt', email: 'emma.schmidt@example.de', tz: '+0100' },
  { name: 'José Álvarez', email: 'jose.alvarez@example.es', tz: '+0100' },
  { name: 'Zoë Fischer', email: 'zoe@example.ch', tz: '+0100' },
  { name: 'Łukasz Nowak', email: 'lukasz.nowak@example.pl', tz: '+0100' },
  { name: 'Søren Madsen', email: 'soren@example.dk', tz: '+0100' },
  { name: '李娜', email: 'li.na@example.cn', tz: '+0800' },
  { name: 'Hiroshi Tanaka', email: 'htanaka@example.jp', tz: '+0900' },
  { name: 'Priya Raman', email: 'priya.raman@example.in', tz: '+0530' },
  { name: 'Mateus Oliveira', email: 'mateus@example.com.br', tz: '-0300' },
  { name: 'Fatima Zahra', email: 'fzahra@example.ma', tz: '+0000' },
  { name: 'Grace Lee', email: 'grace.lee@example.com', tz: '-0800' },
  { name: 'Henrik Berg', email: 'henrik.berg@example.no', tz: '+0100' },
  { name: 'Isabelle Dubois', email: 'isabelle@example.fr', tz: '+0100' },
  { name: 'Jack O’Brien', email: 'jack.obrien@example.ie', tz: '+0000' },
  { name: 'Katarzyna Wójcik', email: 'kasia@example.pl', tz: '+0100' },
  { name: 'Liam Walker', email: 'liam@example.co.uk', tz: '+0000' },
  { name: 'Maria Rossi', email: 'maria.rossi@example.it', tz: '+0100' },
  { name: 'Noah Cohen', email: 'noah@example.co.il', tz: '+0200' },
  { name: 'Olga Petrova', email: 'olga.petrova@example.com', tz: '+0300' },
  { name: 'Pedro Sánchez', email: 'psanchez@example.mx', tz: '-0600' },
  { name: 'Ngozi Eze', email: 'ngozi.eze@users.noreply.github.com', tz: '+0100' },
];

/** Merges done through the web UI are committed by GitHub itself. */
export const GITHUB: Signature = { name: 'GitHub', email: 'noreply@github.com', tz: '+0000' };

export const AREAS = [
  'auth', 'billing', 'cache', 'config', 'editor', 'events', 'git', 'history', 'indexer', 'lsp',
  'metrics', 'parser', 'query', 'render', 'search', 'session', 'storage', 'sync', 'telemetry', 'workspace',
] as const;

export const SUBDIRS = ['internal', 'utils', 'handlers', 'models', 'providers', 'adapters'] as const;

export const NOUNS = [
  'token', 'session', 'cache', 'buffer', 'request', 'response', 'commit', 'blame', 'range', 'cursor',
  'index', 'query', 'result', 'diagnostic', 'workspace', 'document', 'snapshot', 'revision', 'author',
  'message', 'hunk', 'patch', 'chunk', 'stream', 'queue', 'worker', 'timer', 'config', 'option',
  'handler', 'listener', 'event', 'record', 'entry', 'node', 'tree', 'path', 'payload', 'schema',
  'limit', 'budget', 'retry', 'lease', 'lock', 'span', 'metric', 'branch', 'offset', 'column', 'line',
  'symbol', 'scope', 'editor', 'provider', 'client', 'server', 'connection', 'signature', 'digest',
] as const;

export const VERBS = [
  'get', 'set', 'parse', 'load', 'read', 'write', 'build', 'create', 'resolve', 'find', 'compute',
  'update', 'merge', 'flush', 'render', 'validate', 'normalize', 'format', 'collect', 'emit', 'track',
  'apply', 'fetch', 'open', 'close', 'reset', 'sort', 'filter', 'encode', 'decode', 'split', 'schedule',
  'invalidate', 'refresh', 'register', 'dispose', 'restore', 'serialize',
] as const;

export const ADJECTIVES = [
  'pending', 'cached', 'active', 'stale', 'raw', 'next', 'previous', 'current', 'default', 'max', 'min',
  'total', 'local', 'remote', 'shared', 'dirty', 'visible', 'last', 'first', 'parsed',
] as const;

export const TYPE_SUFFIXES = ['Options', 'Result', 'State', 'Info', 'Entry', 'Context', 'Handle', 'Event'] as const;

export const PRIMITIVES = ['string', 'number', 'boolean', 'string[]', 'number | undefined', 'readonly string[]'] as const;

export const UNINFORMATIVE = [
  'fix stuff', 'wip', 'update', 'more fixes', 'cleanup', 'typo', 'oops', 'fix', 'WIP', 'changes',
  'fix tests', 'small fixes', 'minor', 'address comments', 'tweak',
] as const;

export const FEATURE_SUBJECTS = [
  'Add {noun} {noun2} to {area}',
  'Support {adj} {noun}s in {fn}',
  'Add {fn} helper',
  'Implement {noun} {noun2} for {file}',
  'Allow configuring the {noun} {noun2}',
  'Expose {fn} from {file}',
  'Cache {noun} results in {area}',
  'Improve performance of {fn}',
  'Refactor {file} to use {fn}',
  'Extract {fn} from {file}',
  'Make {fn} async',
  'Log {noun} {noun2} in {fn}',
  'Introduce {Type} for {area} {noun}s',
  'Simplify {noun} handling in {file}',
  'Batch {noun} updates in {area}',
] as const;

export const FIX_SUBJECTS = [
  'Fix {noun} leak in {fn}',
  'Fix off-by-one in {fn}',
  'Fix crash when {noun} is empty',
  'Handle missing {noun} in {fn}',
  'Fix race between {fn} and {noun} {noun2}',
  'Avoid recomputing {noun} on every {noun2}',
  'Guard against undefined {noun} in {fn}',
  'Fix {area} {noun} timeout',
  'Correct {noun} ordering in {fn}',
  'Restore {noun} {noun2} after {noun3} reset',
  'Do not drop {adj} {noun}s in {file}',
  'Fix stale {noun} after {noun2} change',
] as const;

export const BODY_SENTENCES = [
  'Previously {fn} recomputed the {noun} {noun2} on every call, which made large {area} workspaces slow.',
  'The {adj} {noun} was never cleared after a {noun2} reset, so {fn} could return stale data.',
  'This keeps the behaviour of {fn} unchanged for existing callers.',
  'A follow-up will move the remaining {noun} handling into {file}.',
  'Reproduced with a {noun} of {num} entries; the {noun2} queue grew without bound.',
  'No functional change intended outside {area}.',
  'The {noun} {noun2} is now validated before it reaches {fn}.',
  'We now bail out early when the {noun} is empty instead of throwing later in {fn}.',
] as const;

export const SIDE_SUBJECTS = [
  'Address review comments', 'Fix lint', 'Add tests for {fn}', 'Update {file}', 'wip', 'Simplify {fn}',
  'Rename {noun} to {noun2}', 'Handle empty {noun}', 'fix typo',
] as const;

export const COMMENTS = [
  'TODO: {verb} the {noun} lazily once {fn} is stable',
  'The {noun} may be undefined while the {noun2} is loading.',
  'Keep this in sync with {fn}.',
  'FIXME: this {verb}s the {adj} {noun} twice',
  'Fast path: nothing to {verb} for an empty {noun}.',
  '{Verb} the {noun} before the {noun2} is flushed.',
  'See {fn} for the inverse.',
  'NOTE: callers rely on the {noun} order here.',
] as const;

export function pascal(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function upperSnake(words: string[]): string {
  return words.map((w) => w.toUpperCase()).join('_');
}

