#!/usr/bin/env bash
# Serves the Wild Rydes page with the example: builds the page (esbuild, into web/dist),
# Portcullis and RequestUnicorn, then runs the example's configuration plus a `site:` section
# over HTTPS with the development certificate — the page on https://127.0.0.1:8082/, the edge
# endpoint on https://127.0.0.1:8080. Ctrl-C stops it. See web/README.md.
set -euo pipefail
web=$(cd "$(dirname "$0")" && pwd)
example=$(dirname "$web")
cd "$web"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build
cd "$example/../.."
cargo build --release -p portcullis -p request-unicorn
# The example's file with the site added, beside it so that its relative paths still hold.
config="$example/.portcullis/portcullis.site.yaml"
mkdir -p "$example/.portcullis"
{
  sed 's|^storage: sqlite://\.portcullis/|storage: sqlite://|; s|command: \[\.\./\.\./target/|command: [../../../target/|; s|openapi: |openapi: ../|' \
    "$example/portcullis.yaml"
  echo 'site: {listen: 127.0.0.1:8082, dir: ../web/dist}'
} > "$config"
echo "Wild Rydes page: https://127.0.0.1:8082/ (accept the development certificate there and on https://127.0.0.1:8080/)"
exec ./target/release/portcullis serve --config "$config" --dev-tls
