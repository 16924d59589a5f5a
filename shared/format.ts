/**
 * Words every front end uses for the same figures: an age ("3 weeks ago") and a confidence band.
 * Imports nothing, so the CLI, the server and the VS Code client (and its webview model) share them.
 */

export type ConfidenceBand = 'high' | 'medium' | 'low';

export function bandOf(confidence: number): ConfidenceBand {
  return confidence >= 0.7 ? 'high' : confidence >= 0.4 ? 'medium' : 'low';
}

export function relativeTime(isoDate: string, nowMs: number): string {
  const seconds = Math.max(0, (nowMs - Date.parse(isoDate)) / 1000);
  const units: [number, string][] = [
    [365 * 24 * 3600, 'year'],
    [30 * 24 * 3600, 'month'],
    [7 * 24 * 3600, 'week'],
    [24 * 3600, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return `${count} ${name}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}
