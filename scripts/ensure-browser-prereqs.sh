#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium) headless; a test tool's own
# browser download does not work without internet. Install the package where it is missing
# and we can (root, or passwordless sudo); otherwise say what to install (the browser tests
# then skip with that message, unless GRAPHRISK_REQUIRE_BROWSER=1).
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "The browser tests need Debian's chromium package: 'sudo apt-get install chromium'." >&2
    exit 0
fi
echo "installing chromium (for the browser tests)"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium
