import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancellationTokenSource, ResponseError } from 'vscode-languageclient/node';
import { ContextRequest } from '../shared/protocol';
import type { Ail } from './ail';
import { AGENT_API_SINCE, MCP_PROVIDER_ID, WHY_TOOL, editorHas, whyToolRange, type WhyToolInput } from './contributions';
import { answerMarkdown } from './panel/markdown';

/**
 * AIL for agent mode: the language model tool `ail_why` (Copilot's agent and any chat participant call
 * it with a file and lines; it asks the running language server, `ail/context`) and AIL's MCP server in
 * the editor's MCP list (`ail serve --mcp` per trusted workspace folder). Each is offered only where
 * the editor has its API (`vscode.lm.registerTool`, 1.95; `vscode.lm.registerMcpServerDefinitionProvider`,
 * 1.101): `engines.vscode` stays where it is, and an older editor runs the extension without them.
 * @types/vscode is the oldest supported editor's, so the newer API is declared here, as far as it is used.
 */

interface ToolInvocation<T> {
  input?: T;
  /** The name of `input` in the proposal before 1.95's final API. */
  parameters?: T;
}

interface LanguageModelApi {
  registerTool?: <T>(name: string, tool: { invoke(options: ToolInvocation<T>, token: vscode.CancellationToken): Promise<unknown>; prepareInvocation?(options: ToolInvocation<T>): { invocationMessage: string } }) => vscode.Disposable;
  tools?: readonly { name: string }[];
  registerMcpServerDefinitionProvider?: (id: string, provider: { onDidChangeMcpServerDefinitions: vscode.Event<void>; provideMcpServerDefinitions(): unknown[] }) => vscode.Disposable;
}

type Constructor = new (...args: never[]) => unknown;

/** What this editor offers of the two, for the log and for the tests: registered, or why not. */
export function registerAgentTools(ail: Ail, context: vscode.ExtensionContext): vscode.Disposable[] {
  const lm = (vscode as unknown as { lm?: LanguageModelApi }).lm;
  const api = vscode as unknown as Record<string, Constructor | undefined>;
  const version = vscode.version;
  // An API still proposed in an editor throws when it is read (it needs enabledApiProposals): not there for us.
  const has = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  // Agent mode is an extra: whatever an editor's API does, the rest of AIL starts.
  const offered = (what: string, offer: () => vscode.Disposable[]): vscode.Disposable[] => {
    try {
      return offer();
    } catch (error) {
      ail.log.warn(`${what} is not offered: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  };

  const registerTool = editorHas(version, AGENT_API_SINCE.languageModelTool) ? has(() => lm?.registerTool) : undefined;
  const Result = has(() => api.LanguageModelToolResult);
  const TextPart = has(() => api.LanguageModelTextPart);
  const tool = offered(`the language model tool ${WHY_TOOL}`, () => {
    if (typeof registerTool !== 'function' || !Result || !TextPart) {
      ail.log.info(`agent mode: VS Code ${version} has no vscode.lm.registerTool (1.95+), so the language model tool ${WHY_TOOL} is not offered`);
      return [];
    }
    const registered = registerTool.call(lm, WHY_TOOL, whyTool(ail, Result, TextPart));
    const listed = has(() => lm?.tools?.some((known) => known.name === WHY_TOOL)) ?? false;
    ail.log.info(`agent mode: the language model tool ${WHY_TOOL} is registered${listed ? ' (vscode.lm.tools lists it)' : ''}`);
    return [registered];
  });

  const registerMcp = editorHas(version, AGENT_API_SINCE.mcpServerProvider) ? has(() => lm?.registerMcpServerDefinitionProvider) : undefined;
  const Definition = has(() => api.McpStdioServerDefinition);
  const mcp = offered("AIL's MCP server", () => {
    if (typeof registerMcp !== 'function' || !Definition) {
      ail.log.info(`MCP: VS Code ${version} has no vscode.lm.registerMcpServerDefinitionProvider (1.101+), so AIL's MCP server is not offered in its MCP list; mcp.json can name "ail serve --mcp" (docs/agents.md)`);
      return [];
    }
    const changed = new vscode.EventEmitter<void>();
    const make = Definition as unknown as new (label: string, command: string, args: string[], env: Record<string, string>, version: string) => unknown;
    const provider = registerMcp.call(lm, MCP_PROVIDER_ID, {
      onDidChangeMcpServerDefinitions: changed.event,
      // `ail serve --mcp` runs git in the folder: only in a trusted workspace, as the language server.
      provideMcpServerDefinitions: () =>
        vscode.workspace.isTrusted
          ? (vscode.workspace.workspaceFolders ?? [])
              .filter((folder) => folder.uri.scheme === 'file')
              // The editor's own runtime runs it: Electron as Node (ELECTRON_RUN_AS_NODE), or Node itself.
              .map((folder) => new make(`AIL (${folder.name})`, process.execPath, [context.asAbsolutePath(path.join('dist', 'cli.js')), 'serve', '--mcp', '--repo', folder.uri.fsPath], { ELECTRON_RUN_AS_NODE: '1' }, String(context.extension.packageJSON.version ?? '0')))
          : [],
    });
    ail.log.info(`MCP: AIL's MCP server is offered for each trusted workspace folder (provider ${MCP_PROVIDER_ID})`);
    return [changed, vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()), vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()), provider];
  });
  return [...tool, ...mcp];
}

/** `ail_why`: the answer of the running language server for a file and lines, as the Markdown "Copy as Markdown" gives. */
function whyTool(ail: Ail, Result: Constructor, TextPart: Constructor) {
  const result = (text: string) => new (Result as unknown as new (parts: unknown[]) => unknown)([new (TextPart as unknown as new (value: string) => unknown)(text)]);
  return {
    prepareInvocation: (options: ToolInvocation<WhyToolInput>) => {
      const input = options.input ?? options.parameters;
      return { invocationMessage: `Asking AIL why ${input?.path ?? 'the file'}${input?.startLine ? `:${input.startLine}${input.endLine && input.endLine !== input.startLine ? `-${input.endLine}` : ''}` : ''} is like this` };
    },
    invoke: async (options: ToolInvocation<WhyToolInput>, token: vscode.CancellationToken) => {
      const input = options.input ?? options.parameters;
      // A model reads the error: one sentence that says what to change.
      if (!input || typeof input.path !== 'string' || input.path === '') throw new Error('path is required: a file path relative to the workspace folder, such as "src/auth/session.ts"');
      const range = whyToolRange(input);
      if (typeof range === 'string') throw new Error(range);
      const client = ail.running();
      if (!client) throw new Error('AIL is not running in this window (an untrusted workspace, or the server stopped): "AIL: Restart Server" starts it');
      const source = new CancellationTokenSource();
      const cancel = token.onCancellationRequested(() => source.cancel());
      try {
        const uri = vscode.Uri.file(fileOf(input.path)).toString();
        const answer = await client.sendRequest(ContextRequest.type, { textDocument: { uri }, ...(range ? { range } : {}), ...(input.question ? { question: input.question } : {}) }, source.token);
        return result(answerMarkdown(answer));
      } catch (error) {
        throw new Error(error instanceof ResponseError || error instanceof Error ? error.message : String(error));
      } finally {
        cancel.dispose();
        source.dispose();
      }
    },
  };
}

/**
 * The file a model named: an absolute path, or one relative to the workspace folder that holds it (the
 * first folder when none does); either must be inside a workspace folder. The server checks again on the
 * real path, so a symbolic link out of the repository is refused there.
 */
function fileOf(given: string): string {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => folder.uri.fsPath);
  const file = path.isAbsolute(given) ? path.normalize(given) : path.join(folders.find((folder) => existsSync(path.join(folder, given))) ?? folders[0] ?? '', given);
  const inside = folders.some((folder) => {
    const relative = path.relative(folder, file);
    return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
  });
  if (!inside) throw new Error(`path ${JSON.stringify(given)} is outside the workspace folders: give a file path relative to one of them`);
  return file;
}
