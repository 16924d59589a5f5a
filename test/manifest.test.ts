import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandsContribution, configurationContribution, hiddenFromPalette, languageModelToolsContribution, mcpServerDefinitionProvidersContribution, whyToolRange, editorHas, AGENT_API_SINCE } from '../client/contributions';
import { SETTINGS } from '../shared/settings';

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8'));

/** package.json is written from the tables (`npm run manifest`): these fail when someone edits one and not the other. */
describe('package.json contributes', () => {
  it('every setting of shared/settings.ts, as the table says, and nothing else', () => {
    expect(manifest.contributes.configuration, 'run `npm run manifest`').toEqual(configurationContribution());
    const keys = Object.keys(manifest.contributes.configuration.properties).sort();
    expect(keys).toEqual(SETTINGS.filter((s) => s.vscode).map((s) => `ail.${s.vscode}`).sort());
  });

  it('no token setting: a token lives in SecretStorage', () => {
    expect(JSON.stringify(manifest.contributes.configuration).toLowerCase()).not.toMatch(/"ail\.[^"]*token"/);
  });

  it('a user sees each setting with its default, range or choices, and where it may be set', () => {
    const properties = manifest.contributes.configuration.properties;
    expect(properties['ail.cache.size']).toEqual({ type: 'integer', default: 1000, minimum: 0, maximum: 1_000_000, description: 'Answers kept in the exact (L1) cache.', scope: 'window' });
    expect(properties['ail.log.level']).toMatchObject({ type: 'string', enum: ['DEBUG', 'INFO', 'WARNING', 'ERROR'], default: 'INFO' });
    expect(properties['ail.modelPath']).toMatchObject({ type: 'string', default: '', scope: 'machine' });
    expect(properties['ail.maxWorkers']).toMatchObject({ type: ['integer', 'null'], default: null, minimum: 1 });
    expect(properties['ail.currentLine.enabled']).toMatchObject({ type: 'boolean', default: true, scope: 'resource' });
  });

  it('every command, with its AIL: title; links-only commands hidden from the palette', () => {
    expect(manifest.contributes.commands).toEqual(commandsContribution());
    expect(manifest.contributes.menus.commandPalette).toEqual(hiddenFromPalette());
    expect(manifest.contributes.commands.every((c: { title: string }) => c.title.startsWith('AIL: '))).toBe(true);
  });

  it('Ask Why from the editor menu and a key; activation with git; limited in untrusted workspaces', () => {
    expect(manifest.contributes.menus['editor/context']).toContainEqual(expect.objectContaining({ command: 'ail.askWhy' }));
    expect(manifest.contributes.keybindings).toContainEqual(expect.objectContaining({ command: 'ail.askWhy', key: 'ctrl+alt+y' }));
    expect(manifest.activationEvents).toContain('workspaceContains:.git');
    expect(manifest.capabilities.untrustedWorkspaces.supported).toBe('limited');
  });

  it('the language model tool ail_why and the MCP server provider, without raising engines.vscode for them', () => {
    expect(manifest.contributes.languageModelTools, 'run `npm run manifest`').toEqual(languageModelToolsContribution());
    expect(manifest.contributes.mcpServerDefinitionProviders).toEqual(mcpServerDefinitionProvidersContribution());
    expect(manifest.contributes.languageModelTools).toEqual([expect.objectContaining({ name: 'ail_why', canBeReferencedInPrompt: true, inputSchema: expect.objectContaining({ required: ['path'] }) })]);
    // Guarded at run time (client/agent-tools.ts): an editor older than the APIs runs AIL without them.
    expect(manifest.engines.vscode).toBe('^1.91.0');
  });
});

describe('ail_why: the lines a model gives, as ail/context takes them', () => {
  it.each([
    [{}, undefined],
    [{ startLine: 7 }, { start: { line: 6, character: 0 }, end: { line: 7, character: 0 } }],
    [{ startLine: 2, endLine: 4 }, { start: { line: 1, character: 0 }, end: { line: 4, character: 0 } }],
    [{ endLine: 4 }, 'endLine was given without startLine: give startLine too (or neither, for the whole file)'],
    [{ startLine: 0 }, 'startLine must be a line number from 1'],
    [{ startLine: 1.5 }, 'startLine must be a line number from 1'],
    [{ startLine: 5, endLine: 3 }, 'endLine (3) is before startLine (5)'],
  ])('%j → %j', (input, expected) => {
    expect(whyToolRange(input)).toEqual(expected);
  });
});

describe('which editor offers agent mode and the MCP server', () => {
  it.each([
    ['1.91.1', false, false],
    ['1.95.0', true, false],
    ['1.100.3', true, false],
    ['1.101.0', true, true],
    ['1.102.0-insider', true, true],
    ['2.0.0', true, true],
  ])('VS Code %s: language model tool %s, MCP server provider %s', (version, tool, mcp) => {
    expect(editorHas(version, AGENT_API_SINCE.languageModelTool)).toBe(tool);
    expect(editorHas(version, AGENT_API_SINCE.mcpServerProvider)).toBe(mcp);
  });
});
