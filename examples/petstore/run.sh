#!/usr/bin/env bash
# Runs the PetStore example: the pet store backend on 127.0.0.1:9000 and Portcullis in front of
# it on 127.0.0.1:8080 (admin and /metrics on 127.0.0.1:8081). Ctrl-C stops both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
cargo build --release -p portcullis -p petstore-backend
./target/release/petstore-backend 127.0.0.1:9000 &
backend=$!
trap 'kill $backend 2>/dev/null || true' EXIT
cat <<'TXT'
Try:
  curl -i http://127.0.0.1:8080/prod/pets
  curl -i 'http://127.0.0.1:8080/prod/pets?type=dog'
  curl -i -X POST -d '{"type":"bird","price":9.5}' http://127.0.0.1:8080/prod/pets   # 403: needs SigV4
  curl -i --aws-sigv4 aws:amz:us-east-1:execute-api \
       --user AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \
       -H 'content-type: application/json' -d '{"type":"bird","price":9.5}' http://127.0.0.1:8080/prod/pets
  curl -i http://127.0.0.1:8080/prod/pets/1
  curl -i http://127.0.0.1:8080/prod/nope          # 403 Missing Authentication Token
  curl -s http://127.0.0.1:8081/metrics | grep portcullis_requests
TXT
./target/release/portcullis serve --config "$here/portcullis.yaml"
