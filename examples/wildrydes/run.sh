#!/usr/bin/env bash
# Runs the Wild Rydes example: builds the rider page (npm, esbuild → web/dist), Portcullis and
# the RequestUnicorn function, then serves the workshop's user pool, identity pool, roles and API
# on http://127.0.0.1:8080 (admin and /metrics on 127.0.0.1:8081) and the page on
# http://127.0.0.1:8082/, with state in examples/wildrydes/.portcullis/wildrydes.db. Ctrl-C stops it.
# `run.sh --dev-tls` serves both over HTTPS with the development certificate (HTTP/2 via ALPN).
# The walk-through with the AWS CLI is in examples/wildrydes/README.md, the page's in web/README.md.
set -euo pipefail
example=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$example/../.." && pwd)
scheme=http
for arg in "$@"; do [ "$arg" = --dev-tls ] && scheme=https; done
(cd "$example/web" && { [ -d node_modules/esbuild ] || npm ci --no-audit --no-fund --silent; } && npm run --silent build)
cd "$repo"
cargo build --release -p portcullis -p request-unicorn
target=$(cd "${CARGO_TARGET_DIR:-$repo/target}" && pwd)/release
# The example's file with the page's `site:` added (a missing web/dist is a load error, so the
# checked-in file leaves it out), kept in the state directory; the paths that were relative to
# examples/wildrydes/ are rewritten for that directory. Storage stays the same database file.
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
cat <<TXT
Wild Rydes: the page on $scheme://127.0.0.1:8082/, the edge endpoint on $scheme://127.0.0.1:8080
(user pool us-east-1_WildRydes, client wildrydes-web, identity pool
us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01, API wildrydes1, stage prod).
Confirmation codes: $target/portcullis userpool codes us-east-1_WildRydes --config $example/portcullis.yaml --limit 1
With the AWS CLI: examples/wildrydes/README.md. Unsigned, refused: curl -i -X POST $scheme://127.0.0.1:8080/prod/ride
TXT
exec "$target/portcullis" serve --config "$config" "$@"
