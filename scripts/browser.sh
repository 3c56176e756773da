#!/usr/bin/env bash
# Installs Debian's chromium for the live page's browser test (test/e2e/ui.e2e.test.ts) when it is missing; prints its path.
set -euo pipefail
# shellcheck source=runtime/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/runtime/lib.sh"

ensure_packages chromium
[[ -x /usr/bin/chromium ]] || die "chromium is installed but /usr/bin/chromium is missing"
echo /usr/bin/chromium
