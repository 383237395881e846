#!/usr/bin/env bash
# Installs Debian's chromium, the browser the dashboard's test (test/browser/dashboard.test.ts)
# drives through playwright-core. Idempotent: when /usr/bin/chromium exists it touches nothing.
# A cold install (apt-get update, chromium and its libraries) takes about a minute. Needs root and apt.
set -euo pipefail

if [[ ! -x /usr/bin/chromium ]]; then
  [[ $(id -u) == 0 ]] || { echo "install.sh: installing chromium needs root" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends: the browser, not its extras; one font family so screenshots show text
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation
fi

/usr/bin/chromium --version
