import { workspace, window, commands, type ExtensionContext } from 'vscode';
import { Ail, UNTRUSTED } from './ail';
import { registerAgentTools } from './agent-tools';
import { registerCommands } from './commands';

/** The one piece of module state: deactivate() must reach what activate() started (VS Code calls both). */
let active: Ail | undefined;

/** Registers the commands and starts the server (in a trusted workspace; trusting one starts it). */
export async function activate(context: ExtensionContext): Promise<void> {
  const ail = new Ail(context);
  active = ail;
  context.subscriptions.push(ail, ...registerCommands(ail), ...registerAgentTools(ail, context));
  context.subscriptions.push(workspace.onDidGrantWorkspaceTrust(() => void ail.start()));
  if (!workspace.isTrusted) {
    void window.showInformationMessage(`AIL: ${UNTRUSTED}`, 'Manage Workspace Trust').then((choice) => {
      if (choice) void commands.executeCommand('workbench.trust.manage');
    });
  }
  await ail.start();
}

export async function deactivate(): Promise<void> {
  await active?.stop();
  active = undefined;
}
