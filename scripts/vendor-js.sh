#!/usr/bin/env bash
# Fetch the JavaScript the web app serves (from the npm registry) into src/onpace/web/static/vendor.
# The files are committed, so the app works offline; run this only to upgrade them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest=src/onpace/web/static/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent echarts@6.1.0 htmx.org@2.0.11 swagger-ui-dist@5.35.0 >/dev/null )
for tgz in "$work"/*.tgz; do mkdir -p "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"; done
cp "$work"/echarts-*/package/dist/echarts.min.js "$dest/"
cp "$work"/echarts-*/package/LICENSE "$dest/LICENSE-echarts"
cp "$work"/htmx.org-*/package/dist/htmx.min.js "$dest/"
cp "$work"/htmx.org-*/package/LICENSE "$dest/LICENSE-htmx"
cp "$work"/swagger-ui-dist-*/package/swagger-ui-bundle.js "$work"/swagger-ui-dist-*/package/swagger-ui.css "$dest/"
cp "$work"/swagger-ui-dist-*/package/LICENSE "$dest/LICENSE-swagger-ui"
echo "vendored into $dest"
