import { execFileSync } from 'node:child_process';

/** Protocol and CLI tests run the built dist/, so build it once before any test file runs. */
export default function setup(): void {
  execFileSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
}
