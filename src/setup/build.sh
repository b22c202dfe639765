#!/usr/bin/env bash
# The production build: src/ and commands/ compiled by tsc into build/ (gitignored), which
# `npm start` runs with plain node, so a start spends no time transpiling TypeScript.
#   build.sh             build now                               (npm run build)
#   build.sh --if-stale  build unless build/ matches the source  (npm run setup)
#   build.sh --check     before `npm start`: fail without a build, warn when the source is newer
set -euo pipefail
cd "$(dirname "$0")/../.."

# Why build/ does not match the source, or nothing. build/.stamp is touched before tsc reads the
# source, so a file saved while tsc ran still counts as newer. Folders count too (a file added or
# deleted changes its folder's time).
stale() {
  if [ ! -f build/src/main.js ] || [ ! -f build/.stamp ]; then echo "there is no build yet"; return; fi
  local newer
  newer=$(find src commands -path src/setup -prune -o \( -type d -o -name '*.ts' \) -newer build/.stamp -print -quit 2>/dev/null)
  [ -n "$newer" ] || newer=$(find package.json package-lock.json tsconfig.json tsconfig.build.json -newer build/.stamp -print -quit)
  if [ -n "$newer" ]; then echo "$newer changed after the last build"; fi
}

build() {
  rm -rf build
  mkdir build
  touch build/.stamp
  # noEmitOnError (tsconfig.build.json): a type error leaves no build rather than a broken one.
  node_modules/.bin/tsc -p tsconfig.build.json
}

case "${1:-}" in
  "") build ;;
  --if-stale)
    why=$(stale)
    if [ -z "$why" ]; then echo "tradecrew setup: the build is up to date"; else
      echo "tradecrew setup: building (tsc into build/; $why)"
      build
    fi ;;
  --check)
    why=$(stale)
    case "$why" in
      "") ;;
      "there is no build yet") echo "tradecrew: there is no build yet: run npm run build (npm run setup runs it), or npm run dev to run the source" >&2; exit 1 ;;
      *) echo "tradecrew: $why; npm start runs the build: run npm run build (or npm run dev to run the source)" >&2 ;;
    esac ;;
  *) echo "usage: build.sh [--if-stale | --check]" >&2; exit 2 ;;
esac
