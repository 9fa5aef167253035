#!/usr/bin/env bash
# Serves the Wild Rydes page with the example: builds the page (esbuild, into web/dist),
# Portcullis and RequestUnicorn, then runs the example's configuration plus a `site:` section
# over HTTPS with the development certificate — the page on https://127.0.0.1:8082/, the edge
# endpoint on https://127.0.0.1:8080. Ctrl-C stops it. See web/README.md.
set -euo pipefail
web=$(cd "$(dirname "$0")" && pwd)
example=$(dirname "$web")
repo=$(cd "$example/../.." && pwd)
cd "$web"
[ -d node_modules/esbuild ] || npm ci --no-audit --no-fund
npm run build
cd "$repo"
cargo build --release -p portcullis -p request-unicorn
target=$(cd "${CARGO_TARGET_DIR:-$repo/target}" && pwd)/release
# The example's file with the site added, kept in its state directory; the paths that were
# relative to examples/wildrydes/ are rewritten for that directory.
state="$example/.portcullis"
mkdir -p "$state"
config="$state/portcullis.site.yaml"
{
  sed -e 's#^storage: sqlite://\.portcullis/#storage: sqlite://#' \
      -e "s#command: \[\.\./\.\./target/release/#command: [$target/#" \
      -e 's#openapi: #openapi: ../#' \
      "$example/portcullis.yaml"
  echo 'site: {listen: 127.0.0.1:8082, dir: ../web/dist}'
} > "$config"
echo "Wild Rydes page: https://127.0.0.1:8082/ (accept the development certificate there and on https://127.0.0.1:8080/)"
echo "Confirmation codes: $target/portcullis userpool codes us-east-1_WildRydes --config $config --limit 1"
exec "$target/portcullis" serve --config "$config" --dev-tls
