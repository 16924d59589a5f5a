import type { WarningCode } from '../../shared/types';

/**
 * Every way a GitHub look-up can fail, as a value. The first three are the answer's warning codes;
 * `not-found` is an answer (no such pull request, a commit GitHub does not have, a private repository
 * without a token that may read it); `cancelled` is the caller's own signal.
 */
export type GitHubFailureKind = Extract<WarningCode, 'github-unavailable' | 'github-auth' | 'github-rate-limited'> | 'not-found' | 'cancelled';

export interface GitHubFailure {
  kind: GitHubFailureKind;
  /** One sentence, without the token (scrubbed however the text was made). */
  message: string;
  /** The HTTP status GitHub answered, when it answered. */
  status?: number;
  /** For `github-rate-limited`: when requests may be sent again (epoch ms). */
  until?: number;
}

/**
 * What the client hands back: a value and where it came from, or a failure. `cache` is the disk with no
 * request made; `revalidated` a 304 (a request, but no rate budget spent); `stale` a stored value served
 * because GitHub could not be asked (rate limited, unreachable), with the reason beside it.
 */
export type GitHubResult<T> =
  | { ok: true; value: T; source: 'network' | 'cache' | 'revalidated' }
  | { ok: true; value: T; source: 'stale'; failure: GitHubFailure }
  | { ok: false; failure: GitHubFailure };

/** Shapes GitHub's token formats take (classic, fine-grained, app, OAuth), and `token x`/`Bearer x` headers. */
const TOKEN_SHAPES = [/\bgh[pousr]_[A-Za-z0-9_]{16,}/g, /\bgithub_pat_[A-Za-z0-9_]{16,}/g, /\b(token|bearer)\s+[A-Za-z0-9_.\-]{16,}/gi];

/**
 * The text with the token taken out: the exact token wherever it appears, and anything shaped like one
 * (a token that was current a moment ago, a header that was quoted). Every message and log line of the
 * GitHub layer passes through here.
 */
export function scrub(text: string, token: string | undefined): string {
  let out = text;
  if (token && token.length >= 4) out = out.split(token).join('[token]');
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, (_match, scheme?: string) => (typeof scheme === 'string' ? `${scheme} [token]` : '[token]'));
  return out;
}

/** GitHub's wording for a secondary limit ("You have exceeded a secondary rate limit"), and its older name. */
const SECONDARY = /\bsecondary rate\b|\babuse\b/i;

export interface ResponseFacts {
  status: number;
  headers: Record<string, string | undefined>;
  /** GitHub's `message` from the error body. */
  message: string;
}

/** How long to stay away after a secondary limit that named no time: GitHub says at least a minute, then longer. */
export function secondaryBackoffMs(strikes: number): number {
  return Math.min(15 * 60_000, 60_000 * 2 ** Math.max(0, strikes - 1));
}

/**
 * A response GitHub refused, as a failure. 403 and 429 are rate limits when GitHub says so (no requests
 * left, a `retry-after`, or the secondary-limit message); a 403 that is none of those is GitHub
 * refusing the token access (SSO not authorised, a token without the scope). `secondaryStrikes` counts
 * secondary limits in a row, for the back-off when GitHub names no time.
 */
export function failureOfResponse(response: ResponseFacts, what: string, now: number, secondaryStrikes: number): GitHubFailure {
  const { status, headers } = response;
  const said = response.message ? `: ${response.message.slice(0, 200)}` : '';
  if (status === 401) return { kind: 'github-auth', status, message: `GitHub refused the token (401${said}) for ${what}` };
  if (status === 403 || status === 429) {
    const retryAfter = retryAfterMs(headers['retry-after'], now);
    const reset = Number(headers['x-ratelimit-reset']);
    const usedUp = headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset) && reset > 0;
    if (usedUp || retryAfter !== undefined || SECONDARY.test(response.message) || status === 429) {
      // Both may be said: the later time holds. Neither: GitHub's "at least a minute", longer each time.
      const waits = [usedUp ? reset * 1000 : 0, retryAfter !== undefined ? now + retryAfter : 0];
      const until = Math.max(...waits) || now + secondaryBackoffMs(secondaryStrikes + 1);
      const why = usedUp ? "GitHub's rate limit is used up" : 'GitHub asked AIL to slow down';
      return { kind: 'github-rate-limited', status, until, message: `${why} until ${clock(until)} (${status}${said})` };
    }
    return { kind: 'github-auth', status, message: `GitHub refused access (403${said}) to ${what}` };
  }
  if (status === 404 || status === 410 || status === 409 || status === 422) return { kind: 'not-found', status, message: `GitHub has no ${what} (${status}${said})` };
  return { kind: 'github-unavailable', status, message: `GitHub answered ${status}${said} for ${what}` };
}

/** A request that got no response: the network said no (refused, DNS, reset), or the deadline passed first. */
export function failureOfNetwork(error: unknown, what: string): GitHubFailure {
  return { kind: 'github-unavailable', message: `GitHub could not be reached for ${what} (${networkReason(error)})` };
}

/** undici puts the reason in `cause` (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`); Octokit sometimes wraps it once more. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      const host = (current as { hostname?: unknown }).hostname;
      return code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `DNS ${code}${typeof host === 'string' ? ` for ${host}` : ''}` : code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
}

/** `retry-after` in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** 14:05, in the local time zone: what a status bar says. */
export function clock(epochMs: number): string {
  const at = new Date(epochMs);
  return `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
}
