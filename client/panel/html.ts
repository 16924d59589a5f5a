/**
 * The panel's page: a fixed shell with no text from any answer (that arrives later, as data, over
 * postMessage). A strict Content-Security-Policy: nothing loads but the extension's own stylesheet and
 * the one script carrying this page's nonce; no inline style or script, no frames, no network.
 */
export function panelHtml(page: { cspSource: string; nonce: string; scriptUri: string; styleUri: string }): string {
  const csp = [`default-src 'none'`, `style-src ${page.cspSource}`, `script-src 'nonce-${page.nonce}'`, `img-src ${page.cspSource}`, `font-src ${page.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${page.styleUri}">
<title>AIL: Ask Why</title>
</head>
<body>
<main id="answer" aria-live="polite"></main>
<form id="follow-up">
<label for="question">Ask a follow-up about the same lines</label>
<div class="row"><input id="question" type="text" placeholder="Why does this code exist?" autocomplete="off"><button type="submit">Ask</button></div>
</form>
<script nonce="${page.nonce}" src="${page.scriptUri}"></script>
</body>
</html>`;
}

/** A nonce for one page: 32 characters from a CSPRNG. */
export function nonce(random: (size: number) => Uint8Array): string {
  return Buffer.from(random(24)).toString('base64').replace(/[+/=]/g, 'x');
}
