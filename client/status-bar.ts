import { StatusBarAlignment, ThemeColor, window, type Disposable, type StatusBarItem } from 'vscode';
import { statusView, type AilState } from './status-view';

/** The one AIL item (id `ail.status`, so its DOM id is `ail.ail.ail.status`), drawn from the one state. */
export class StatusBar implements Disposable {
  private readonly item: StatusBarItem;
  state: AilState = { kind: 'starting' };

  constructor() {
    this.item = window.createStatusBarItem('ail.status', StatusBarAlignment.Left, 0);
    this.item.name = 'AIL';
    this.item.command = 'ail.showCacheStats';
    this.show({ kind: 'starting' });
    this.item.show();
  }

  show(state: AilState): void {
    this.state = state;
    const view = statusView(state);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.background ? new ThemeColor(view.background === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
