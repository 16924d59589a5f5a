/** Words, intents and message quality: the lexical side of ranking. */

export type Intent = 'why' | 'when' | 'who' | 'what-changed';

const STOPWORDS = new Set(
  `a an the and or but if of to in on at by for with from into onto as is are was were be been being do does did doing
  this that these those it its it's there here what which who whom whose when where why how than then so such can could
  should would will shall may might must have has had having not no nor i me my we our you your he she they them their
  code line lines file function method class exist exists existing does this like way written`.split(/\s+/),
);

/** Words that say nothing about why a change was made. */
const GENERIC = new Set(
  `fix fixes fixed fixing stuff update updates updated updating wip change changes changed misc minor tweak tweaks
  cleanup clean tidy temp tmp test tests typo typos more things thing work working commit save saving asdf oops
  small some various bug bugs refactor refactoring improvements improve improved final version edit edits`.split(/\s+/),
);

/** Splits text into lowercase words, breaking identifiers apart (`parseHTTPHeader` → parse, http, header). */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 1);
}

/** A crude stem so that `hashing`, `hashed` and `hashes` meet. */
export function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 4 && word.endsWith('es')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** The words of a question that carry meaning, stemmed. */
export function contentTerms(text: string): Set<string> {
  return new Set(words(text).filter((word) => !STOPWORDS.has(word)).map(stem));
}

/**
 * The share of the question's terms (0..1) found in the text. A final e is dropped on both sides, so
 * that "upgraded" (stem "upgrad") meets "upgrade": not in `stem` itself, whose output the lexical
 * embedder's stored vectors and the cache's guards depend on.
 */
export function lexicalOverlap(questionTerms: Set<string>, text: string): number {
  if (questionTerms.size === 0) return 0;
  const present = new Set(words(text).map((word) => withoutFinalE(stem(word))));
  let hits = 0;
  for (const term of questionTerms) if (present.has(withoutFinalE(term))) hits++;
  return hits / questionTerms.size;
}

function withoutFinalE(term: string): string {
  return term.length > 4 && term.endsWith('e') ? term.slice(0, -1) : term;
}

export function intentOf(question: string): Intent {
  const q = question.toLowerCase();
  if (/\bwho\b|\bauthor(ed)?\b|\bwrote\b|\bowner\b/.test(q)) return 'who';
  if (/\bwhen\b|\bsince when\b|\bhow long\b|\bwhat date\b|\bfirst (added|introduced|written)\b/.test(q)) return 'when';
  if (/\bwhat (has )?changed\b|\bwhat happened\b|\bhistory\b|\bchanges?\b.*\b(recent|lately|last)\b|\brecent(ly)?\b/.test(q)) return 'what-changed';
  return 'why';
}

/** True for messages like "fix stuff", "wip", "update": nothing in them says why. */
export function isGenericMessage(subject: string, body: string): boolean {
  // GitHub's web editor names the file and nothing else: "Update sessions.py".
  if (/^(update|create|delete|edit|change)\s+[\w./-]+\.\w+$/i.test(subject.trim()) && !body.trim()) return true;
  const terms = words(`${subject} ${body}`).filter((word) => !STOPWORDS.has(word) && !/^\d+$/.test(word));
  const meaningful = terms.filter((word) => !GENERIC.has(word));
  return meaningful.length < 2;
}

/** How much a commit's message (and what it links to) explains, 0..1. */
export function informativeness(subject: string, body: string, linked: boolean): number {
  if (isGenericMessage(subject, body) && !linked) return 0.05;
  let score = 0.4;
  if (words(subject).filter((word) => !STOPWORDS.has(word)).length >= 4) score += 0.2;
  if (body.replace(/\(cherry picked from commit [0-9a-f]+\)/, '').trim().length >= 40) score += 0.2;
  if (linked) score += 0.2;
  return Math.min(1, score);
}

/** The first sentence of a commit body worth quoting, without trailers. */
export function firstSentence(body: string, limit = 220): string | undefined {
  const prose = body
    .split('\n')
    .filter((line) => !/^[\w-]+:\s/.test(line) && !/^\(cherry picked from/.test(line) && !/^\s*[-*]\s*$/.test(line))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!prose) return undefined;
  const match = /^(.+?[.!?])(\s|$)/.exec(prose);
  const sentence = match ? match[1]! : prose;
  return sentence.length > limit ? `${sentence.slice(0, limit - 1).trimEnd()}…` : sentence;
}
