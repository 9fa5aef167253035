#!/usr/bin/env bash
# Runs the Wild Rydes example: builds Portcullis and the RequestUnicorn function, then serves the
# workshop's user pool, identity pool, roles and API on http://127.0.0.1:8080 (admin and /metrics
# on 127.0.0.1:8081), with state in examples/wildrydes/.portcullis/wildrydes.db. Ctrl-C stops it.
# The walk-through with the AWS CLI is in examples/wildrydes/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
cargo build --release -p portcullis -p request-unicorn
cat <<'TXT'
Wild Rydes on http://127.0.0.1:8080 — user pool us-east-1_WildRydes (client wildrydes-web),
identity pool us-east-1:8d4c5b1e-9f1a-4c1e-a2a8-2b7e8f6d9c01, API wildrydes1, stage prod.
Try (the whole walk-through is in examples/wildrydes/README.md):
  export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY AWS_DEFAULT_REGION=us-east-1
  aws cognito-idp sign-up --endpoint-url http://127.0.0.1:8080 --no-sign-request \
      --client-id wildrydes-web --username rider@example.com --password Unicorn-Rides-42
  ./target/release/portcullis userpool codes us-east-1_WildRydes --config examples/wildrydes/portcullis.yaml
  curl -i -X POST http://127.0.0.1:8080/prod/ride     # 403 Missing Authentication Token
TXT
exec ./target/release/portcullis serve --config "$here/portcullis.yaml"
