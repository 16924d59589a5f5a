import { describe, expect, it } from 'vitest';
import { closingUrls, decisiveSentence, isBot, isSubstantiveReview, sentencesOf, touchesLines, trimBody, type ReviewCommentData } from '../server/github/digest';

const TEMPLATE = `<!-- Thank you for your contribution! Please describe your change below. -->
## Description
Session tokens were hashed with md5, which is fast enough to brute-force offline. Switch to bcrypt so that a leaked table costs an attacker years, not hours.

## Screenshots

## Checklist
- [ ] I have added tests
- [x] I have read CONTRIBUTING.md
- [ ]

![badge](https://img.shields.io/badge/x-y-green)
Fixes #42`;

const grace = { login: 'grace', type: 'User' };
const alan = { login: 'alan', type: 'User' };

function comment(overrides: Partial<ReviewCommentData>): ReviewCommentData {
  return { user: alan, body: 'Looks fine to me overall, thanks.', path: 'src/auth/session.ts', line: 12, originalLine: 12, diffHunk: '@@ -10,3 +10,3 @@\n const a = 1;\n-  return md5(token);\n+  return bcrypt.hashSync(token, ROUNDS);', ...overrides };
}

describe('a pull request body', () => {
  it('keeps what the author wrote and drops the template around it', () => {
    const trimmed = trimBody(TEMPLATE)!;
    expect(trimmed).toContain('Session tokens were hashed with md5');
    expect(trimmed).toContain('- [x] I have read CONTRIBUTING.md');
    expect(trimmed).toContain('Fixes #42');
    expect(trimmed).not.toMatch(/Thank you|Screenshots|I have added tests|badge|<!--/);
  });

  it('is cut at a sentence, and nothing is left of a body that was only a template', () => {
    const trimmed = trimBody('This explains the change in some detail. '.repeat(40), 200)!;
    expect(trimmed.length).toBeLessThanOrEqual(201);
    expect(trimmed).toMatch(/detail\.…$/);
    expect(trimBody('<!-- describe your change -->\n## Description\n\n## Testing\n- [ ] tests\n')).toBeUndefined();
    expect(trimBody(null)).toBeUndefined();
  });

  it('names the issues it closes by URL', () => {
    expect(closingUrls('Fixes https://github.com/acme/queue/issues/12 and mentions https://github.com/acme/queue/issues/13')).toEqual([{ repository: 'acme/queue', number: 12 }]);
  });
});

describe('review comments', () => {
  const at = { paths: ['src/auth/session.ts'], lines: [12], text: ['  return bcrypt.hashSync(token, ROUNDS);'] };

  it('are on the asked lines by path and line, in the version they were written on or the latest', () => {
    expect(touchesLines(comment({}), at)).toBe(true);
    expect(touchesLines(comment({ line: null, originalLine: 13 }), at)).toBe(true);
    expect(touchesLines(comment({ line: 40, originalLine: 40, diffHunk: '@@ -38,2 +38,2 @@\n+export const ROUNDS = 12;' }), at)).toBe(false);
    expect(touchesLines(comment({ path: 'src/other.ts' }), at)).toBe(false);
    expect(touchesLines(comment({ line: 20, startLine: 10, originalLine: 20, originalStartLine: 10 }), at)).toBe(true);
  });

  it('are recognised by the commented line when the numbering moved', () => {
    expect(touchesLines(comment({ line: null, originalLine: 90 }), at)).toBe(true);
    expect(touchesLines(comment({ line: null, originalLine: 90, diffHunk: '@@ -88,2 +88,2 @@\n+const b = 2;' }), at)).toBe(false);
  });

  it('from bots do not count', () => {
    expect(isBot({ login: 'dependabot[bot]', type: 'Bot' })).toBe(true);
    expect(isBot({ login: 'coderabbitai', type: 'User' })).toBe(true);
    expect(isBot({ login: 'netlify-bot', type: 'User' })).toBe(true);
    expect(isBot(null)).toBe(true);
    expect(isBot(grace)).toBe(false);
  });

  it('make a review substantive when a human other than the author wrote on the lines or asked for changes', () => {
    expect(isSubstantiveReview([comment({ body: 'Use a cost of 12: 10 is too cheap on current hardware.' })], [], 'grace')).toBe(true);
    expect(isSubstantiveReview([comment({ user: grace, body: 'Use a cost of 12: 10 is too cheap on current hardware.' })], [], 'grace')).toBe(false);
    expect(isSubstantiveReview([comment({ user: { login: 'coderabbitai' }, body: 'Consider extracting this into a helper function for clarity.' })], [], 'grace')).toBe(false);
    expect(isSubstantiveReview([], [{ user: alan, state: 'APPROVED', body: '' }], 'grace')).toBe(false);
    expect(isSubstantiveReview([], [{ user: alan, state: 'CHANGES_REQUESTED', body: '' }], 'grace')).toBe(true);
  });
});

describe('the decisive sentence', () => {
  it('is a reason, from the review on these lines first', () => {
    const quote = decisiveSentence(
      {
        description: { body: trimBody(TEMPLATE)!, author: 'grace', url: 'https://github.com/acme/queue/pull/55' },
        comments: [comment({ body: 'We need a cost of 12 here because 10 is too cheap for bcrypt on current hardware.', htmlUrl: 'https://github.com/acme/queue/pull/55#discussion_r1' })],
        reviews: [],
      },
      'Why bcrypt?',
      ['  return bcrypt.hashSync(token, ROUNDS);'],
    );
    expect(quote).toEqual({ text: 'We need a cost of 12 here because 10 is too cheap for bcrypt on current hardware.', author: 'alan', where: 'review-comment', url: 'https://github.com/acme/queue/pull/55#discussion_r1' });
  });

  it('comes from the description when the review gave no reason, and is nothing when no one did', () => {
    const description = { body: trimBody(TEMPLATE)!, author: 'grace' };
    expect(decisiveSentence({ description, comments: [comment({ body: 'LGTM, nice work on this one!' })], reviews: [] }, 'Why does this code exist?', ['return bcrypt.hashSync(token, ROUNDS);'])).toMatchObject({
      text: 'Switch to bcrypt so that a leaked table costs an attacker years, not hours.',
      author: 'grace',
      where: 'description',
    });
    expect(decisiveSentence({ description: { body: 'Bump version to 1.2.3 for the release.', author: 'grace' }, comments: [], reviews: [] }, 'Why?', [])).toBeUndefined();
  });

  it('reads prose, not code blocks, quoted text or markup', () => {
    expect(sentencesOf('> because someone else said so in a quote\n```\nif (x) because();\n```\nWe keep the **retry loop** because the [upstream API](https://x.example) drops requests.')).toEqual(['We keep the retry loop because the upstream API drops requests.']);
  });
});
