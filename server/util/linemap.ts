/**
 * Maps each line of edited text to the line it was in the committed text, or -1 for lines the edit
 * changed. Common prefix and suffix only: exact for one edited region, conservative (lines count as
 * changed) for several. Enough to ask `git log -L` about the committed lines under an unsaved edit.
 */
export function mapToCommittedLines(committed: string, edited: string): Int32Array {
  const before = committed.split('\n');
  const after = edited.split('\n');
  const map = new Int32Array(after.length).fill(-1);
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) {
    map[prefix] = prefix;
    prefix++;
  }
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    map[after.length - 1 - suffix] = before.length - 1 - suffix;
    suffix++;
  }
  return map;
}
