#!/usr/bin/env bash
# What the tests need from Debian, installed once before they run (`pnpm test` calls this first), so
# no test ever runs apt-get itself: redis-server (every test's own Redis), ruby (the job yaml read
# as lkp-tests' Psych reads it) and chromium (the dashboard's browser test, through playwright-core).
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v ruby >/dev/null 2>&1 || missing+=(ruby)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  echo "The tests need Debian's ${missing[*]}: run \`sudo apt-get update && sudo apt-get install -y ${missing[*]}\`, then \`pnpm test\` again." >&2
  exit 1
fi
echo "Installing Debian's ${missing[*]} for the tests..." >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
