import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type { LspFile } from './bench-lsp';
import type { Progress } from './progress';

export interface SoakResult {
  bursts: number;
  hoversPerBurst: number;
  /** Hovers nobody cancelled: from sent to answered. */
  hoverMs: number[];
  /** The last hover sent in each burst (where the editor is now), from sent to answered. */
  newestHoverMs: number[];
  /** From a burst's first hover sent to its last answer. */
  drainMs: number[];
  cancelled: number;
  /** Cancelled hovers answered with a result (null included) after the cancel, instead of RequestCancelled: work done for nobody. */
  answeredAfterCancel: number;
}

const BURSTS = 8;
const HOVERS_PER_BURST = 200;
/** An editor moving on: this share of a burst's hovers is cancelled, each within CANCEL_WITHIN_MS of being sent. */
const CANCELLED_SHARE = 0.5;
const CANCEL_WITHIN_MS = 150;

/**
 * Bursts of hovers as an editor under a fast-moving mouse or a plugin hovering everything sends them:
 * 200 at once over four files (two open, two the server has not seen), half of them cancelled soon
 * after, and an edit to an open file before every other burst (its hovers then blame unsaved text).
 */
export async function soakLsp(connection: ProtocolConnection, root: string, open: LspFile[], cold: LspFile[], random: () => number, progress: Progress): Promise<SoakResult> {
  const uri = (file: string) => pathToFileURL(path.join(root, file)).href;
  const versions = new Map<string, number>();
  const result: SoakResult = { bursts: BURSTS, hoversPerBurst: HOVERS_PER_BURST, hoverMs: [], newestHoverMs: [], drainMs: [], cancelled: 0, answeredAfterCancel: 0 };
  for (let burst = 0; burst < BURSTS; burst++) {
    const opened = [open[(2 * burst) % open.length]!, open[(2 * burst + 1) % open.length]!];
    for (const { file } of opened) {
      if (versions.has(file)) continue;
      versions.set(file, 1);
      const text = readFileSync(path.join(root, file), 'utf8');
      await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uri(file), languageId: 'plaintext', version: 1, text } });
    }
    if (burst % 2 === 1) {
      // A line typed at the top of an open file: its hovers blame the unsaved text.
      const { file } = opened[0]!;
      const version = versions.get(file)! + 1;
      versions.set(file, version);
      await connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri: uri(file), version },
        contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: `// edit ${version}\n` }],
      });
    }
    const files = [...opened, ...[cold[2 * burst], cold[2 * burst + 1]].filter((f): f is LspFile => f !== undefined)];
    const started = performance.now();
    const hovers = Array.from({ length: HOVERS_PER_BURST }, (_, i) => {
      const file = files[Math.floor(random() * files.length)]!;
      const line = Math.floor(random() * file.lines);
      const cancel = i < HOVERS_PER_BURST - 1 && random() < CANCELLED_SHARE;
      const source = new CancellationTokenSource();
      const sent = performance.now();
      let cancelledAt = Infinity;
      const answer = connection.sendRequest(HoverRequest.type, { textDocument: { uri: uri(file.file) }, position: { line, character: 0 } }, source.token).then(
        () => ({ answered: true, afterCancel: performance.now() > cancelledAt, ms: performance.now() - sent }),
        () => ({ answered: false, afterCancel: performance.now() > cancelledAt, ms: performance.now() - sent }),
      );
      if (cancel) {
        result.cancelled++;
        setTimeout(() => {
          cancelledAt = performance.now();
          source.cancel();
        }, random() * CANCEL_WITHIN_MS);
      }
      return { cancel, answer };
    });
    const settled = await Promise.all(hovers.map(async ({ cancel, answer }) => ({ cancel, ...(await answer) })));
    result.drainMs.push(performance.now() - started);
    for (const { cancel, answered, afterCancel, ms } of settled) {
      if (cancel && answered && afterCancel) result.answeredAfterCancel++;
      if (!cancel) result.hoverMs.push(ms);
    }
    result.newestHoverMs.push(settled[settled.length - 1]!.ms);
    progress('bench', { done: burst + 1, total: BURSTS, message: 'lsp soak bursts' });
  }
  return result;
}
