#!/usr/bin/env bash
# A fresh clone stands on its own: clone this repository (HEAD) into a temporary folder with nothing beside it (no
# ../shared), run `npm ci`, then README's two quick-start commands there: `npm run demo` (until its page and Medic's
# /healthz answer, then stop it and check that it exits 0 and leaves no process), `npx medic --help`, and `npm test`.
# Needs what README lists for the tests (Redis, PostgreSQL, a JDK, Chromium); `.ci/run` runs it after the in-place
# tests. Usage: scripts/fresh-clone-check.sh [--keep]   (--keep leaves the clone for a look afterwards)
set -euo pipefail

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
keep=${1:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/medic-fresh-clone-XXXXXX")
clone="$work/medic"
demo_pid=

say() { printf 'fresh-clone: %s\n' "$*"; }
fail() {
  printf 'fresh-clone: FAILED: %s\n' "$*" >&2
  exit 1
}
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 -- "-$demo_pid" 2>/dev/null; then kill -KILL -- "-$demo_pid" 2>/dev/null || true; fi
  if [ "$keep" = "--keep" ]; then say "clone kept in $clone"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# README's quick start must show exactly the two commands this script runs.
quick=$(awk '/^## Quick start/{q=1} q&&/^```sh/{b=1;next} b&&/^```/{exit} b' "$repo/README.md" | sed 's/ *#.*$//; s/ *$//')
[ "$quick" = $'npm ci && npm run demo\nnpm ci && npm test' ] || fail "README's quick start does not show exactly 'npm ci && npm run demo' and 'npm ci && npm test'; it shows:
$quick"

say "cloning $(git -C "$repo" rev-parse --short HEAD) into $clone (nothing beside it)"
git clone --quiet --no-hardlinks "$repo" "$clone"
[ ! -e "$work/shared" ] || fail "$work/shared exists"
cd "$clone"
[ "$(git rev-parse HEAD)" = "$(git -C "$repo" rev-parse HEAD)" ] || fail "the clone is not at HEAD of $repo"

say "npm ci"
npm ci --no-audit --no-fund --loglevel=error

# --- npm run demo, on a free port (MEDIC_DEMO_PORT, README's port option) so a demo already on 8080 does not matter.
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
say "npm run demo (MEDIC_DEMO_PORT=$port)"
# Its own session and process group: afterwards no process of that group may be left (redis-server, java, esbuild).
MEDIC_DEMO_PORT=$port setsid npm run demo >"$work/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 240); do
  grep -q 'Medic demo is running' "$work/demo.log" && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log" >&2; fail "npm run demo exited before it was running"; }
  sleep 1
done
grep -q 'Medic demo is running' "$work/demo.log" || { cat "$work/demo.log" >&2; fail "npm run demo did not start within 240 s"; }
page="http://127.0.0.1:$port/"
health=$(grep -o "http://127.0.0.1:[0-9]*/healthz" "$work/demo.log" | head -1)
curl -fsS -o /dev/null "$page" || fail "the demo page $page does not answer"
curl -fsS -o /dev/null "$health" || fail "Medic's $health does not answer"
say "the demo answers at $page and $health"

# Stop it as Ctrl-C stops the demo process (npm itself would exit 130 on a terminal's SIGINT): it must exit 0.
demo_node=$(pgrep -g "$demo_pid" -f 'loader.mjs src/cli.ts demo' | head -1)
[ -n "$demo_node" ] || fail "no demo process found in process group $demo_pid"
kill -INT "$demo_node"
status=0
wait "$demo_pid" || status=$?
[ "$status" -eq 0 ] || { cat "$work/demo.log" >&2; fail "npm run demo exited with $status after Ctrl-C"; }
for _ in $(seq 1 20); do kill -0 -- "-$demo_pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 -- "-$demo_pid" 2>/dev/null; then
  ps -o pid,args -g "$demo_pid" >&2 || true
  fail "processes of the demo are still running after it exited"
fi
demo_pid=
if curl -fsS -o /dev/null --max-time 2 "$page" 2>/dev/null; then fail "something still answers at $page after the demo stopped"; fi
grep -q 'Stopping the demo' "$work/demo.log" || fail "the demo did not say it was stopping"
say "the demo stopped cleanly (exit 0, no process left)"
if grep -E 'DeprecationWarning|\(node:[0-9]+\) \[DEP' "$work/demo.log" >&2; then fail "the demo printed a deprecation warning (above)"; fi

say "npx medic --help"
npx medic --help >"$work/help.txt" || fail "npx medic --help exited with $?"
grep -q '^usage: medic <command>' "$work/help.txt" || fail "npx medic --help printed no usage"

say "npm test"
npm test
say "OK: npm ci, npm run demo, npx medic --help and npm test work in a fresh clone"
