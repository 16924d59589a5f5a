import { LRUCache } from 'lru-cache';
import type { ArchaeologyContext, TeamState, WarningCode } from '../../shared/types';
import type { ArchaeologyProvider, AskInput, ResolvedQuestion } from '../archaeology/provider';
import type { Embedder } from '../semantic/embedder';
import { CancelledError, SingleFlight } from '../util/flight';
import { answerKey, rolloutBucket, teamAnswerKey, textIdentity } from './key';
import { SemanticCache, type AnswerScope } from './semantic-cache';
import { ANSWER_TTL_S, isSharedAnswer, TEAM_KEY_PREFIX, type TeamCache } from './team';
import type { Metrics } from '../observe/metrics';

/** The cache settings of the one settings table; applied live by `configure`. */
export interface CacheSettings {
  cacheSize: number;
  semanticCacheEnabled: boolean;
  semanticCacheRollout: number;
  semanticCacheThreshold: number;
  semanticCacheSize: number;
}

/** What the two tiers hold now, and their settings (for `CacheStats`). */
export interface CacheState {
  l1: { size: number; capacity: number };
  l2: { size: number; capacity: number; enabled: boolean; rollout: number; threshold: number };
  /** The team's shared Redis, when AIL_REDIS_URL is set. */
  team?: TeamState;
}

export interface AnswerServiceParts {
  provider: ArchaeologyProvider;
  /** The embedder questions are compared with, when there is one (the model, or the lexical fallback). */
  embedder: () => Embedder | undefined;
  /** Why the model is not used, when the embedder is the lexical fallback. */
  embedderFallback?: () => string | undefined;
  /** Where hits, misses and latencies are counted. */
  metrics: Metrics;
  /** The team's shared tier, when one is set (AIL_REDIS_URL). */
  team?: () => TeamCache | undefined;
  /** The GitHub repository a question's evidence is enriched from (`apiUrl/owner/name`), part of the team key; '' when none. */
  remoteOf?: (target: ResolvedQuestion) => Promise<string>;
}

/**
 * Answers questions through the cache tiers: L1, exact (an LRU keyed by everything the answer depends
 * on), then the team's shared Redis when one is set (exact, keyed by content rather than path), then
 * L2, semantic (a paraphrase of a cached question about the same text), then the provider, with one
 * computation per key at a time. Partial answers are never cached, nor shared.
 */
export class AnswerService {
  private l1: LRUCache<string, ArchaeologyContext>;
  private readonly l2: SemanticCache;
  private readonly flights = new SingleFlight<string, ArchaeologyContext>();

  constructor(private readonly parts: AnswerServiceParts, private settings: CacheSettings) {
    this.l1 = newL1(settings.cacheSize);
    this.l2 = new SemanticCache({ capacity: settings.semanticCacheSize, threshold: settings.semanticCacheThreshold });
  }

  /** Applies new settings at once: L1 resized (keeping its most recent answers), L2 switched, resized or re-thresholded. */
  configure(settings: CacheSettings): void {
    if (settings.cacheSize !== this.settings.cacheSize) {
      const previous = this.l1;
      this.l1 = newL1(settings.cacheSize);
      if (settings.cacheSize > 0) for (const [key, value] of [...previous.entries()].reverse()) this.l1.set(key, value);
    }
    if (!settings.semanticCacheEnabled) this.l2.clear(); // the kill switch frees the index's memory at once
    this.l2.configure({ capacity: settings.semanticCacheSize, threshold: settings.semanticCacheThreshold });
    this.settings = settings;
  }

  /**
   * `fresh`: bypass both tiers (a person asked again, distrusting the answer): nothing is looked up in
   * L1 or L2 and no computation under way is joined; the new answer replaces L1's (L2 already holds this scope's answer).
   */
  async ask(input: AskInput & { fresh?: boolean }): Promise<ArchaeologyContext> {
    const started = performance.now();
    const target = await this.parts.provider.resolve(input);
    // A caller that has gone while the file was found gets no answer, not even a cached one.
    if (input.signal?.aborted) throw new CancelledError();
    const key = answerKey(target, input.maxEvidence);
    const cached = input.fresh ? undefined : this.l1.get(key);
    if (cached) return this.finish({ ...cached, question: target.question, source: 'l1' }, started, target.depth);

    const team = input.fresh ? undefined : this.parts.team?.();
    let teamKey: string | undefined;
    let teamTrouble = false;
    if (team) {
      teamKey = `${TEAM_KEY_PREFIX}answer:${teamAnswerKey(target, input.maxEvidence, (await this.parts.remoteOf?.(target)) ?? '')}`;
      const shared = await team.get(teamKey, isSharedAnswer);
      if (shared.kind === 'hit') {
        // Paths in an answer are relative to the repository root: nothing in it is another machine's.
        const answer: ArchaeologyContext = { ...shared.value, file: target.file, question: target.question, source: 'team', queryTimeMs: 0 };
        if (this.settings.cacheSize > 0) this.l1.set(key, answer);
        return this.finish(answer, started, target.depth);
      }
      this.parts.metrics.teamMisses++;
      teamTrouble = shared.kind === 'unavailable';
    }

    const scope = scopeOf(target);
    // Quick answers (hovers, lenses) always ask the default question about one line or symbol: a paraphrase
    // cache has nothing to find for them, and adding each to the HNSW index was most of a cold hover's cost.
    const embedder = target.depth === 'full' && !input.fresh ? this.l2Embedder(target.question) : undefined;
    let vector: Float32Array | undefined;
    if (embedder) {
      [vector] = await embedder.embed([target.question], input.signal);
      const hit = this.l2.lookupVector(embedder.id, vector!, scope, target.question);
      if (hit) {
        return this.finish({ ...hit.answer, question: target.question, source: 'l2', similarity: hit.similarity, cachedQuestion: hit.cachedQuestion }, started, target.depth);
      }
      this.parts.metrics.l2Misses++;
    }

    const answer = await this.flights.run(input.fresh ? `${key}:fresh` : key, (signal) => this.parts.provider.answer(target, { ...input, signal }), input.signal);
    if (!answer.partial) {
      // GitHub down, rate limited or refusing the token will pass: such an answer is kept for a minute,
      // so hovers stay instant offline, and the pull requests appear soon after GitHub is back.
      const passing = answer.warnings.some((code) => TRANSIENT_WARNINGS.has(code));
      if (this.settings.cacheSize > 0) this.l1.set(key, answer, passing ? { ttl: TRANSIENT_TTL_MS } : undefined);
      // The kill switch may have been flipped while the answer was being dug.
      if (embedder && vector && this.settings.semanticCacheEnabled && !passing) this.l2.addVector(embedder, vector, scope, target.question, answer);
    }
    // A fresh answer replaces the team's too: whoever distrusted it had a reason.
    const sharing = input.fresh ? this.parts.team?.() : team;
    if (sharing && !teamTrouble && shareable(answer, target.repo.root)) {
      teamKey ??= `${TEAM_KEY_PREFIX}answer:${teamAnswerKey(target, input.maxEvidence, (await this.parts.remoteOf?.(target)) ?? '')}`;
      teamTrouble = !(await sharing.set(teamKey, sharedPart(answer), ANSWER_TTL_S));
    }
    const warnings = teamTrouble && !answer.warnings.includes('team-cache-unavailable') ? [...answer.warnings, 'team-cache-unavailable' as const] : answer.warnings;
    return this.finish({ ...answer, warnings, source: 'cold' }, started, target.depth);
  }

  clear(): { l1: number; l2: number } {
    const l1 = this.l1.size;
    this.l1.clear();
    return { l1, l2: this.l2.clear() };
  }

  state(): CacheState {
    const s = this.settings;
    return {
      l1: { size: this.l1.size, capacity: s.cacheSize },
      l2: { size: this.l2.size, capacity: s.semanticCacheSize, enabled: s.semanticCacheEnabled, rollout: s.semanticCacheRollout, threshold: s.semanticCacheThreshold },
      ...(this.parts.team?.() ? { team: this.parts.team()!.state() } : {}),
    };
  }

  /** The embedder to use for L2 on this question, or undefined when L2 is off, the question is outside the rollout, or there is none. */
  private l2Embedder(question: string): Embedder | undefined {
    if (!this.settings.semanticCacheEnabled || this.settings.semanticCacheSize < 1) return undefined;
    if (rolloutBucket(question) >= this.settings.semanticCacheRollout) return undefined;
    return this.parts.embedder();
  }

  private finish(answer: ArchaeologyContext, started: number, depth: 'quick' | 'full'): ArchaeologyContext {
    const ms = performance.now() - started;
    this.parts.metrics.answered(answer.source, ms, depth, answer.partial);
    // Say when similarity came from the lexical fallback rather than the model.
    const semantic = answer.source === 'l2' || answer.evidence.some((item) => item.reasons.includes('semantic'));
    const warnings = semantic && this.parts.embedderFallback?.() && !answer.warnings.includes('embedder-fallback') ? [...answer.warnings, 'embedder-fallback' as const] : answer.warnings;
    return { ...answer, warnings, queryTimeMs: Math.round(ms * 1000) / 1000 };
  }
}

/**
 * Warnings an answer may carry and still be shared: anything else (cut by the time limit, a shallow
 * clone, GitHub or the index unavailable) is one machine's trouble, which must not become the team's answer.
 */
const SHAREABLE_WARNINGS: ReadonlySet<WarningCode> = new Set(['file-untracked', 'uncommitted-lines', 'embedder-fallback']);

function shareable(answer: ArchaeologyContext, root: string): boolean {
  if (answer.partial || !answer.warnings.every((code) => SHAREABLE_WARNINGS.has(code))) return false;
  // Belt and braces: an answer that names this machine's work tree is not shared.
  return !JSON.stringify(answer).includes(root);
}

/** What is shared: the answer without what belongs to this question's asking (the words, the tier, the time) or to this machine (the links from its remote). */
function sharedPart(answer: ArchaeologyContext): Omit<ArchaeologyContext, 'question' | 'source' | 'queryTimeMs'> {
  const { question: _question, source: _source, queryTimeMs: _ms, similarity: _similarity, cachedQuestion: _cached, github: _github, githubUrl: _url, ...shared } = answer;
  return shared;
}

/** Warnings of a state that passes (GitHub unreachable, rate limited, refusing the token): the answer is kept briefly. */
const TRANSIENT_WARNINGS: ReadonlySet<WarningCode> = new Set(['github-unavailable', 'github-rate-limited', 'github-auth']);
const TRANSIENT_TTL_MS = 60_000;

function newL1(capacity: number): LRUCache<string, ArchaeologyContext> {
  return new LRUCache<string, ArchaeologyContext>({ max: Math.max(1, capacity) });
}

function scopeOf(target: ResolvedQuestion): AnswerScope {
  return { root: target.repo.root, head: target.head, file: target.file, text: textIdentity(target), depth: target.depth, ...(target.lines ? { lines: target.lines } : {}) };
}
