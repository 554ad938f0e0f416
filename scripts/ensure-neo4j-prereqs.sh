#!/usr/bin/env bash
# The local Neo4j needs a JDK 17 (java + javac), Maven and unzip. Install what is missing with
# apt-get where we can (root, or passwordless sudo); otherwise say exactly what to install.
set -euo pipefail
missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
((${#missing[@]})) || exit 0
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "The tests start a local Neo4j and need: ${missing[*]}." >&2
    echo "Install them (e.g. 'sudo apt-get install ${missing[*]}') and run make test again." >&2
    exit 1
fi
echo "installing ${missing[*]} (for the local Neo4j)"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
