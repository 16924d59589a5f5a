/**
 * Every custom message between an editor and the AIL server, declared once. Both sides import this
 * file; esbuild bundles it into each. The types are in ./types; ../shared/PROTOCOL.md is the contract
 * and docs/protocol.md documents each message.
 */
import { RequestType } from 'vscode-languageserver-protocol';
import type { ArchaeologyContext, ContextParams } from './types';

/** Client → server: why is this code like this? Answers one `ArchaeologyContext`. */
export namespace ContextRequest {
  export const method = 'ail/context' as const;
  export const type = new RequestType<ContextParams, ArchaeologyContext, void>(method);
}
