import type { Connection } from 'vscode-languageserver/node';
import { settingsFromSection, type Settings } from '../../shared/settings';
import { visibleLines } from '../../shared/visible';

/**
 * Settings pulled from the client with `workspace/configuration` (section `ail`), per resource, one
 * promise per scope merged over the environment's settings; dropped on `didChangeConfiguration`.
 * Without a client that supports configuration (a bare stdio client) the environment rules.
 */
export class SettingsPuller {
  private readonly byScope = new Map<string, Promise<Settings>>();

  constructor(
    private readonly connection: Connection,
    private readonly base: Settings,
    private readonly canPull: () => boolean,
  ) {}

  /** The settings for a document (its URI) or the workspace (no scope). */
  get(scopeUri?: string): Promise<Settings> {
    if (!this.canPull()) return Promise.resolve(this.base);
    const key = scopeUri ?? '';
    let settings = this.byScope.get(key);
    if (!settings) {
      settings = this.connection.workspace
        .getConfiguration(scopeUri ? { scopeUri, section: 'ail' } : { section: 'ail' })
        .then(
          (section: unknown) => settingsFromSection(section, this.base, (message) => this.connection.console.warn(visibleLines(`settings: ${message}; using the default`))),
          (error: unknown) => {
            this.connection.console.warn(visibleLines(`settings: workspace/configuration failed (${String(error)}); using the environment's`));
            this.byScope.delete(key);
            return this.base;
          },
        );
      this.byScope.set(key, settings);
    }
    return settings;
  }

  /** Forget every pulled scope: the next `get` asks the client again. */
  invalidate(): void {
    this.byScope.clear();
  }
}
