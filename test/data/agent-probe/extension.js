// Test only: an agent's side of `ail_why`. A chat participant calls a tool through vscode.lm.invokeTool;
// no participant runs in code-server, so this extension does it on start, the way one would, and writes
// the tools it saw, the answer's text and a refused call's error to $AIL_AGENT_PROBE_OUT as JSON.
const { writeFileSync } = require('node:fs');
const vscode = require('vscode');

exports.activate = async () => {
  const out = process.env.AIL_AGENT_PROBE_OUT;
  if (!out || !vscode.lm || typeof vscode.lm.invokeTool !== 'function') return;
  const input = JSON.parse(process.env.AIL_AGENT_PROBE_INPUT || '{}');
  const invoke = async (args) => {
    const result = await vscode.lm.invokeTool('ail_why', { input: args, toolInvocationToken: undefined }, new vscode.CancellationTokenSource().token);
    return result.content.map((part) => (typeof part.value === 'string' ? part.value : '')).join('');
  };
  const started = Date.now();
  let last = 'ail_why was never listed';
  // Until AIL's language server runs (it starts as AIL activates, beside this): then one answer, one refusal.
  while (Date.now() - started < 90_000) {
    const tools = vscode.lm.tools.map((tool) => tool.name);
    if (tools.includes('ail_why')) {
      try {
        const text = await invoke(input);
        let refused = '';
        try {
          await invoke({ path: '../../etc/passwd' });
        } catch (error) {
          refused = error instanceof Error ? error.message : String(error);
        }
        writeFileSync(out, JSON.stringify({ tools, text, refused }));
        return;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
        if (!/not running/.test(last)) {
          writeFileSync(out, JSON.stringify({ tools, error: last }));
          return;
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  writeFileSync(out, JSON.stringify({ error: `gave up after 90 s: ${last}` }));
};
