#!/usr/bin/env bash
# Installs code-server for the VS Code end-to-end tests (test/vscode.e2e.test.ts) into a cache outside the
# repository, once: run it again and it says where the install is and exits. .ci/run calls it; so can a
# developer. It needs Node 20 (code-server 4.100.x refuses any other), a C++ compiler, and from Debian
# `libkrb5-dev ripgrep chromium` (as root: apt-get install -y libkrb5-dev ripgrep chromium).
#
# No download but the npm registry: code-server's own install would fetch ripgrep from GitHub in the
# postinstall of @vscode/ripgrep, so Debian's `rg` is put where that postinstall looks for a cached copy.
#
# Prints the install's root on its last line. AIL_E2E_CACHE moves the cache (default ~/.cache/ail-e2e).
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# What @vscode/ripgrep's postinstall (lib/postinstall.js, lib/download.js) looks for in
# $TMPDIR/vscode-ripgrep-cache-<package version>/ripgrep-<VERSION>-<target>.tar.gz, for the @vscode/ripgrep
# that code-server 4.100.3's lib/vscode/npm-shrinkwrap.json pins. Checked after the install below.
RIPGREP_PACKAGE_VERSION=1.15.11
RIPGREP_VERSION=v13.0.0-10

cache="${AIL_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ail-e2e}"
root="$cache/code-server-$CODE_SERVER_VERSION"
entry="$root/node_modules/code-server/out/node/entry.js"
marker="$root/.ail-installed"

if [[ -f "$marker" && -f "$entry" ]]; then
  echo "e2e-setup: code-server $CODE_SERVER_VERSION is installed" >&2
  echo "$root"
  exit 0
fi

missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v chromium >/dev/null || missing+=(chromium)
[[ -f /usr/include/gssapi/gssapi.h || -f /usr/include/gssapi.h ]] || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  echo "e2e-setup: missing ${missing[*]}: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != 20 ]]; then
  echo "e2e-setup: code-server $CODE_SERVER_VERSION needs Node 20, this is $(node --version)" >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64) target=x86_64-unknown-linux-musl ;;
  aarch64) target=aarch64-unknown-linux-musl ;;
  *) echo "e2e-setup: no ripgrep asset name known for $(uname -m)" >&2; exit 1 ;;
esac

started=$SECONDS
mkdir -p "$cache"
# A fresh folder each try; it becomes the install only when everything in it worked.
staging="$(mktemp -d "$cache/.staging-XXXXXX")"
trap 'rm -rf "$staging"' EXIT

# The postinstall reads os.tmpdir(): a private TMPDIR keeps its cache (and npm's scratch files) in here.
export TMPDIR="$staging/tmp"
ripgrep_cache="$TMPDIR/vscode-ripgrep-cache-$RIPGREP_PACKAGE_VERSION"
mkdir -p "$ripgrep_cache/rg"
cp "$(command -v rg)" "$ripgrep_cache/rg/rg"
tar -czf "$ripgrep_cache/ripgrep-$RIPGREP_VERSION-$target.tar.gz" -C "$ripgrep_cache/rg" rg

echo "e2e-setup: installing code-server $CODE_SERVER_VERSION into $root (a few minutes: it builds native modules)" >&2
# Run from the staging folder so that no project's .npmrc applies; code-server's postinstall runs
# `npm install` in lib/vscode and lib/vscode/extensions, which needs --unsafe-perm as root.
(
  cd "$staging"
  npm_config_yes=true npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
    npm install --prefix "$staging/install" --unsafe-perm --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
)

vscode="$staging/install/node_modules/code-server/lib/vscode"
pinned="$(node -p "require('$vscode/node_modules/@vscode/ripgrep/package.json').version")"
if [[ "$pinned" != "$RIPGREP_PACKAGE_VERSION" ]]; then
  echo "e2e-setup: code-server pins @vscode/ripgrep $pinned, not $RIPGREP_PACKAGE_VERSION: update RIPGREP_* in $0" >&2
  exit 1
fi
[[ -x "$vscode/node_modules/@vscode/ripgrep/bin/rg" ]] || { echo "e2e-setup: @vscode/ripgrep has no bin/rg" >&2; exit 1; }

rm -rf "$TMPDIR" "$root"
mv "$staging/install" "$root"
echo "$CODE_SERVER_VERSION" >"$marker"
echo "e2e-setup: installed code-server $CODE_SERVER_VERSION in $((SECONDS - started)) s" >&2
echo "$root"
