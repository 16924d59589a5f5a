// `npm run package [-- --target linux-x64] [--out DIR] [--no-build]`: builds the per-platform .vsix.
//
// The bundles load a few packages from node_modules at run time (esbuild.mjs names them): the HNSW addon,
// transformers.js with onnxruntime-node (and sharp: transformers.js requires it when it loads, and fails
// without it), and web-tree-sitter with its grammars. This script assembles a staging folder,
// <out>/<target>/ (.package/linux-x64/ by default), with the bundles, the posix_spawn addon, the
// manifest, README and LICENSE, and those packages with what they require at run time, copied from this
// install and pruned to the target (one platform's onnxruntime binary, the grammars the server names, no
// type declarations or source maps). Then it runs vsce there.
//
// The packages go to dist/node_modules, beside the bundles that require them: vsce's own dependency scan
// (`npm list --production`) would want every declared dependency present, onnxruntime-web's 140 MB
// included, and without it (--no-dependencies) vsce leaves out a top-level node_modules whatever
// .vscodeignore says. Node finds dist/node_modules from dist/server.js first, as it would ./node_modules.
//
// hnswlib-node and native/ail_spawn.node are compiled on install, for this machine: a package for another
// target is built on a machine of that target.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** What esbuild leaves external (esbuild.mjs) and the bundles load: the roots of the runtime closure. */
const RUNTIME_ROOTS = ['hnswlib-node', '@huggingface/transformers', 'web-tree-sitter', '@vscode/tree-sitter-wasm'];

/** Declared dependencies that nothing loads at run time, and why. */
const NOT_AT_RUN_TIME = new Map([
  ['onnxruntime-web', "transformers.js's Node build carries the part of it that it uses"],
  ['@huggingface/jinja', "bundled into transformers.js's Node build"],
  ['@huggingface/tokenizers', "bundled into transformers.js's Node build"],
  ['adm-zip', "onnxruntime-node's install script only"],
  ['global-agent', "onnxruntime-node's install script only"],
  ['node-addon-api', "hnswlib-node's build only (C++ headers)"],
]);

const { target, out, build } = parseArguments(process.argv.slice(2));
const host = hostTarget();
if (target !== host) {
  fail(
    `cannot package for ${target} on this ${host} machine: hnswlib-node and native/ail_spawn.node are compiled on install ` +
      `for the machine that installs them. Run npm ci and npm run package on a ${target} machine.`,
  );
}
const [platform, arch] = target.startsWith('alpine-') ? ['linux', target.slice('alpine-'.length)] : target.split('-');

const started = Date.now();
// --no-build packages dist/ as it is (the tests build it once, before any test runs).
if (build) run(process.execPath, ['esbuild.mjs'], ROOT);

const stage = path.join(out, target);
rmSync(stage, { recursive: true, force: true });
mkdirSync(path.join(stage, 'dist'), { recursive: true });

for (const file of ['dist/extension.js', 'dist/server.js', 'dist/cli.js', 'dist/mcp.js', 'dist/webview.js', 'dist/webview.css', 'README.md', 'LICENSE', '.vscodeignore']) {
  copyFileSync(path.join(ROOT, file), path.join(stage, file));
}
const addon = 'native/build/Release/ail_spawn.node';
if (existsSync(path.join(ROOT, addon))) {
  mkdirSync(path.dirname(path.join(stage, addon)), { recursive: true });
  copyFileSync(path.join(ROOT, addon), path.join(stage, addon));
} else {
  console.warn(`package: ${addon} is not built (no C compiler?): the packaged server will start git with Node's spawn`);
}

const packages = runtimeClosure();
const grammars = grammarsNamedBy(path.join(ROOT, 'dist/server.js'));
for (const dir of packages) copyPackage(dir, path.join(stage, 'dist', path.relative(ROOT, dir)));

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const versions = Object.fromEntries(RUNTIME_ROOTS.map((name) => [name, readPackage(path.join(ROOT, 'node_modules', name)).version]));
const staged = { ...manifest, dependencies: versions };
delete staged.devDependencies;
delete staged.scripts;
delete staged.allowScripts;
writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(staged, null, 2)}\n`);

mkdirSync(out, { recursive: true });
const vsix = path.join(out, `${manifest.name}-${target}-${manifest.version}.vsix`);
rmSync(vsix, { force: true });
const vsce = path.join(ROOT, 'node_modules/@vscode/vsce/vsce');
if (!existsSync(vsce)) fail('@vscode/vsce is not installed: run npm ci (it is a dev dependency)');
run(process.execPath, [vsce, 'package', '--no-dependencies', '--target', target, '--out', vsix, '--no-update-package-json', '--skip-license'], stage);

const bytes = statSync(vsix).size;
const shown = path.relative(process.cwd(), vsix);
console.log(`package: ${shown.startsWith('..') ? vsix : shown} (${target}) is ${(bytes / 1e6).toFixed(1)} MB, with ${packages.length} runtime packages; built in ${((Date.now() - started) / 1000).toFixed(0)} s`);

/** The packages the runtime roots load, as folders under ROOT, each once; follows dependencies and installed optional dependencies. */
function runtimeClosure() {
  const found = new Map();
  const visit = (name, from, optional) => {
    if (NOT_AT_RUN_TIME.has(name)) return;
    const dir = resolvePackage(name, from);
    if (!dir) {
      if (optional) return; // another platform's optional binary, not installed here
      fail(`${name}, needed at run time (required from ${path.relative(ROOT, from) || '.'}), is not installed: run npm ci`);
    }
    if (found.has(dir)) return;
    if (path.relative(ROOT, dir).startsWith('..')) fail(`${name} resolves outside the project (${dir}): run npm ci`);
    const pkg = readPackage(dir);
    found.set(dir, pkg);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of RUNTIME_ROOTS) visit(name, ROOT, false);
  return [...found.keys()].sort();
}

/** Node's lookup: `<dir>/node_modules/<name>`, from `from` up to the project root. */
function resolvePackage(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dir === path.dirname(dir)) return undefined;
  }
}

/** Copies one package without its nested node_modules (those are packages of their own), its type declarations, source maps and docs, nor what the target does not load. */
function copyPackage(from, to) {
  const name = readPackage(from).name;
  const keep = packageFilter(name, from);
  cpSync(from, to, {
    recursive: true,
    filter: (source) => {
      const rel = path.relative(from, source).split(path.sep).join('/');
      if (rel === '') return true;
      if (rel === 'node_modules' || rel.startsWith('node_modules/')) return false;
      if (/\.(d\.[cm]?ts|map|md|markdown)$/i.test(rel) && !/^licen[cs]e/i.test(path.basename(rel))) return false;
      return keep(rel, statSync(source).isDirectory());
    },
  });
}

/** Per package: what of it the target loads. `rel` is a path inside the package, with forward slashes. */
function packageFilter(name, dir) {
  switch (name) {
    case 'onnxruntime-node': {
      // It ships every platform's binary; only bin/napi-v*/<platform>/<arch>/ is loaded here.
      for (const napi of readdirSync(path.join(dir, 'bin'))) {
        const folder = `bin/${napi}/${platform}/${arch}`;
        if (!existsSync(path.join(dir, folder, 'onnxruntime_binding.node'))) fail(`onnxruntime-node ${readPackage(dir).version} has no binary for ${target} (${folder})`);
      }
      return (rel) => {
        if (/^(script|lib)(\/|$)/.test(rel)) return false; // the install script, the TypeScript sources
        const [top, , os, cpu] = rel.split('/');
        if (top !== 'bin' || os === undefined) return true;
        return os === platform && (cpu === undefined || cpu === arch);
      };
    }
    case '@huggingface/transformers':
      // The Node builds (require and import); not the web builds, the minified copies or the sources.
      return (rel) => !(rel.startsWith('src') || rel.startsWith('types')) && (!rel.startsWith('dist/') || /^dist\/transformers\.node\.(cjs|mjs)$/.test(rel));
    case '@vscode/tree-sitter-wasm':
      // The grammars the server names; the package's own tree-sitter runtime is web-tree-sitter's.
      return (rel) => !rel.startsWith('wasm/') || grammars.has(rel.slice('wasm/'.length));
    case 'web-tree-sitter':
      return (rel) => rel !== 'debug' && !rel.startsWith('debug/');
    case 'hnswlib-node':
      // The addon and the JavaScript that loads it (through `bindings`); not the C++ sources or the objects.
      return (rel, isDir) => {
        if (rel === 'src' || rel.startsWith('src/')) return false;
        if (rel === 'build' || rel === 'build/Release') return true;
        if (rel.startsWith('build/')) return rel === 'build/Release/addon.node';
        return isDir || !/\.(cc|cpp|h|hpp|gyp)$/.test(rel);
      };
    default:
      return () => true;
  }
}

/** The grammar files (`tree-sitter-<language>.wasm`) that the server bundle names. */
function grammarsNamedBy(bundle) {
  const names = new Set(readFileSync(bundle, 'utf8').match(/tree-sitter-[\w-]+\.wasm/g) ?? []);
  if (names.size === 0) fail(`${bundle} names no tree-sitter grammar: has server/symbols/languages.ts changed?`);
  return names;
}

function readPackage(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

/** vsce's name for this machine: linux-x64, darwin-arm64, win32-x64, alpine-x64 (Linux with musl) ... */
function hostTarget() {
  const musl = process.platform === 'linux' && !process.report?.getReport?.().header?.glibcVersionRuntime;
  return `${musl ? 'alpine' : process.platform}-${process.arch}`;
}

function parseArguments(args) {
  const options = { target: hostTarget(), out: path.join(ROOT, '.package'), build: true };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => inline ?? args[++i] ?? fail(`${flag} needs a value`);
    if (flag === '--target') options.target = value();
    else if (flag === '--out') options.out = path.resolve(value());
    else if (flag === '--no-build' && inline === undefined) options.build = false;
    else fail(`unknown argument ${args[i]}: usage: npm run package [-- --target ${hostTarget()}] [--out DIR] [--no-build]`);
  }
  if (!/^(win32|linux|alpine|darwin)-(x64|arm64|armhf|ia32)$/.test(options.target)) fail(`unknown target ${options.target}: vsce's targets look like linux-x64, darwin-arm64, win32-x64`);
  return options;
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) fail(`${path.basename(command)} ${args.slice(0, 2).join(' ')} failed (${result.error?.message ?? `exit ${result.status ?? result.signal}`})`);
}

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}
