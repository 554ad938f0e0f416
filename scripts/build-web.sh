#!/usr/bin/env bash
# Build the investigator page's JavaScript libraries: install them from the npm registry
# (web/package-lock.json pins them) and copy their browser builds into api/static/vendor/,
# which ships as package data. The page loads them from /static/vendor/ - no CDN at runtime.
# `npm ci` runs only when web/node_modules is missing or the lock file changed since.
set -euo pipefail
cd "$(dirname "$0")/.."

web=web
vendor=api/static/vendor
stamp=$web/node_modules/.graphrisk-lock.sha1

if ! command -v npm >/dev/null 2>&1; then
    echo "build-web: npm is missing; install Node.js 18+ (Debian: 'apt-get install npm')" >&2
    exit 1
fi

lock_sum=$(sha1sum "$web/package-lock.json" | cut -d' ' -f1)
if [[ ! -d $web/node_modules || ! -f $stamp || $(cat "$stamp") != "$lock_sum" ]]; then
    echo "build-web: npm ci (web/package-lock.json)"
    npm ci --prefix "$web" --no-audit --no-fund
    echo "$lock_sum" > "$stamp"
fi

# library file in node_modules -> name under vendor/ (the page's <script> tags use these)
files=(
    "cytoscape/dist/cytoscape.min.js:cytoscape.min.js"
    "layout-base/layout-base.js:layout-base.js"
    "cose-base/cose-base.js:cose-base.js"
    "cytoscape-fcose/cytoscape-fcose.js:cytoscape-fcose.js"
)
mkdir -p "$vendor"
rm -f "$vendor"/*.js "$vendor"/LICENSE-*
for pair in "${files[@]}"; do
    src=$web/node_modules/${pair%%:*}
    if [[ ! -f $src ]]; then
        echo "build-web: $src is missing after npm ci (did a library move its build?)" >&2
        exit 1
    fi
    cp "$src" "$vendor/${pair##*:}"
done
# each library's licence travels with it
for lib in cytoscape layout-base cose-base cytoscape-fcose; do
    cp "$web/node_modules/$lib/LICENSE" "$vendor/LICENSE-$lib.txt"
done
echo "build-web: $(ls "$vendor"/*.js | wc -l) scripts in $vendor"
