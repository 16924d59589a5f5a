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
