import { SETTINGS, type SettingSpec } from '../shared/settings';

/**
 * What package.json contributes, from the tables it is written from: the settings table of
 * shared/settings.ts and the commands below. `node scripts/manifest.mjs` writes both blocks into
 * package.json; test/manifest.test.ts fails when they disagree. Imports no `vscode`, so tests and the
 * generator can load it.
 */

export interface CommandSpec {
  command: string;
  title: string;
  /** False: run by links and lenses only, hidden from the command palette. */
  palette: boolean;
}

/** Every command the extension registers, with its palette title. The ids are stable: tests and keybindings name them. */
export const COMMANDS = [
  { command: 'ail.askWhy', title: 'AIL: Ask Why', palette: true },
  { command: 'ail.showCacheStats', title: 'AIL: Show Cache Stats', palette: true },
  { command: 'ail.clearCache', title: 'AIL: Clear Cache', palette: true },
  { command: 'ail.rebuildIndex', title: 'AIL: Rebuild Index', palette: true },
  { command: 'ail.toggleSemanticCache', title: 'AIL: Toggle Semantic Cache', palette: true },
  { command: 'ail.setGitHubToken', title: 'AIL: Set GitHub Token', palette: true },
  { command: 'ail.clearGitHubToken', title: 'AIL: Clear GitHub Token', palette: true },
  { command: 'ail.showLogs', title: 'AIL: Show Logs', palette: true },
  { command: 'ail.restartServer', title: 'AIL: Restart Server', palette: true },
  { command: 'ail.openCommit', title: 'AIL: Open Commit', palette: false },
  { command: 'ail.copySha', title: 'AIL: Copy SHA', palette: false },
] as const satisfies readonly CommandSpec[];

export type CommandId = (typeof COMMANDS)[number]['command'];

interface ConfigurationProperty {
  type: string | string[];
  default: unknown;
  description: string;
  scope: string;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  /** A JSON Schema format VS Code checks in settings.json, such as `uri`. */
  format?: string;
}

/** `contributes.configuration`: one property per row of the settings table that has a VS Code key (the token has none). */
export function configurationContribution(settings: readonly SettingSpec[] = SETTINGS): { title: string; properties: Record<string, ConfigurationProperty> } {
  const properties: Record<string, ConfigurationProperty> = {};
  for (const setting of settings) {
    if (!setting.vscode) continue;
    properties[`ail.${setting.vscode}`] = property(setting);
  }
  return { title: 'AIL', properties };
}

function property(setting: SettingSpec): ConfigurationProperty {
  const scope = setting.scope ?? 'window';
  // A default that depends on the machine (the CPU count) is not known when the manifest is written: null means "the machine's".
  const machineDefault = typeof setting.default === 'function';
  const base = { description: setting.description, scope };
  switch (setting.kind) {
    case 'boolean':
      return { type: 'boolean', default: setting.default, ...base };
    case 'string':
    case 'redis-url':
      // Unset is the empty string: the server reads '' as not set.
      return { type: 'string', default: setting.default ?? '', ...base };
    case 'url':
      return { type: 'string', format: 'uri', default: setting.default, ...base };
    case 'log-level':
      return { type: 'string', enum: ['DEBUG', 'INFO', 'WARNING', 'ERROR'], default: setting.default, ...base };
    case 'integer':
    case 'number':
      return {
        type: machineDefault ? [setting.kind, 'null'] : setting.kind,
        default: machineDefault ? null : setting.default,
        ...(setting.min !== undefined ? { minimum: setting.min } : {}),
        ...(setting.max !== undefined ? { maximum: setting.max } : {}),
        ...base,
        ...(machineDefault ? { description: `${setting.description} Empty (null): decided by the machine.` } : {}),
      };
  }
}

/** `contributes.commands`. */
export function commandsContribution(): { command: string; title: string }[] {
  return COMMANDS.map(({ command, title }) => ({ command, title }));
}

/** `contributes.menus.commandPalette`: the commands hidden from the palette. */
export function hiddenFromPalette(): { command: string; when: string }[] {
  return COMMANDS.filter((spec) => !spec.palette).map(({ command }) => ({ command, when: 'false' }));
}

/** The language model tool agent mode calls (`contributes.languageModelTools`, registered by `agent-tools.ts`). */
export const WHY_TOOL = 'ail_why';

/** The id of AIL's MCP server definition provider (`contributes.mcpServerDefinitionProviders`). */
export const MCP_PROVIDER_ID = 'ail.mcpServers';

/** What a model sends `ail_why`: the MCP `why` tool's input (docs/protocol.md), with paths relative to the workspace folder. */
export interface WhyToolInput {
  path: string;
  startLine?: number;
  endLine?: number;
  question?: string;
}

/** `contributes.languageModelTools`: `ail_why`, described for a model as the MCP server's `why` is. */
export function languageModelToolsContribution() {
  const line = (what: string) => ({ type: 'integer', minimum: 1, description: what });
  return [
    {
      name: WHY_TOOL,
      toolReferenceName: 'ailWhy',
      displayName: 'AIL: Why is this code like this?',
      userDescription: "Explain code from the repository's history: the commits, pull requests and issues behind some lines.",
      modelDescription:
        "Explains why code is the way it is, from the repository's git history: a short extractive summary with a confidence, and the ranked evidence (commits, the pull requests and issues they name, who wrote the lines and when), traced through formatting commits, renames and moved code. Call it before changing code whose purpose is unclear: an odd constant or timeout, a workaround, a check that looks redundant, a special case. Give path and, ideally, startLine/endLine and a question in words. Confidence 0.7 and up (high) means one commit clearly explains the code; under 0.4 (low) the history says little.",
      canBeReferencedInPrompt: true,
      icon: '$(history)',
      tags: ['git', 'history', 'blame'],
      inputSchema: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'File path relative to the workspace folder, such as "src/auth/session.ts" (an absolute path works too).' },
          startLine: line('First line to explain (1-based). Omit startLine and endLine to ask about the whole file.'),
          endLine: line('Last line to explain (1-based, inclusive; default startLine).'),
          question: { type: 'string', maxLength: 2000, description: 'What you want to know, in words, such as "why is the timeout 30 seconds?" (default: why does this code exist?). It ranks the evidence.' },
        },
        required: ['path'],
      },
    },
  ];
}

/** `contributes.mcpServerDefinitionProviders`. */
export function mcpServerDefinitionProvidersContribution() {
  return [{ id: MCP_PROVIDER_ID, label: 'AIL' }];
}

/**
 * A tool call's lines as the range `ail/context` takes (0-based, `end` exclusive), undefined for the
 * whole file, or the sentence that says what is wrong with them.
 */
export function whyToolRange(input: Pick<WhyToolInput, 'startLine' | 'endLine'>): { start: { line: number; character: number }; end: { line: number; character: number } } | undefined | string {
  const { startLine, endLine } = input;
  const isLine = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value >= 1;
  if (startLine === undefined) return endLine === undefined ? undefined : 'endLine was given without startLine: give startLine too (or neither, for the whole file)';
  if (!isLine(startLine)) return 'startLine must be a line number from 1';
  const end = endLine ?? startLine;
  if (!isLine(end)) return 'endLine must be a line number from 1';
  if (end < startLine) return `endLine (${end}) is before startLine (${startLine})`;
  return { start: { line: startLine - 1, character: 0 }, end: { line: end, character: 0 } };
}

/**
 * The first VS Code whose stable API has each: `vscode.lm.registerTool` (1.95) and
 * `vscode.lm.registerMcpServerDefinitionProvider` with `contributes.mcpServerDefinitionProviders`
 * (1.101; 1.100 has a proposal of it under another contribution point, which refuses ours).
 */
export const AGENT_API_SINCE = { languageModelTool: [1, 95], mcpServerProvider: [1, 101] } as const;

/** Whether the editor `version` (`1.100.3`, `1.101.0-insider`) is at least `since`. */
export function editorHas(version: string, since: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  return major > since[0] || (major === since[0] && minor >= since[1]);
}
