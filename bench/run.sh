#!/usr/bin/env bash
# Load benchmark: Portcullis against an nginx reverse proxy, in front of the same nginx upstream,
# on loopback. Method: shared/BENCHMARKING.md beside the repository (see BENCHMARKS.md at its root):
# every path measured in the same run, alternating (A B C D ... A B C D ...), medians of the
# rounds, ratios, and the proxy's CPU microseconds per request from /proc/PID/stat.
#
# Usage: bench/run.sh            (as root it installs nginx-light and wrk when missing)
# Env (defaults in brackets):
#   DURATION [10s]  CONNECTIONS [64]  THREADS [2]  ROUNDS [2]   wrk -t THREADS -c CONNECTIONS -d DURATION
#   WARMUP [2s]     warm-up per scenario before round 1 (not counted; also checks for 2xx answers)
#   PAUSE [1]       seconds of rest between runs
#   ONLY            space-separated scenario names to run (default: all)
#   PORT_BASE [18080]  ports PORT_BASE+1 .. PORT_BASE+10 on 127.0.0.1 are used
#   OUT [bench/out] where configs, logs and results go
#   WAIT_QUIET [0]  wait up to this many seconds for the machine to be < 25 % busy before starting
#   PROFILE=1       after the measured rounds, profile each Portcullis path with `perf record`
#                   (PROFILE_DURATION [8s] of load each; not counted) into OUT/profile/
#   CALLGRIND=1     after the measured rounds, count user-space instructions per request (valgrind
#                   callgrind: deterministic, immune to the machine's noise) for nginx-proxy and each
#                   Portcullis path, CALLGRIND_DURATION [10s] of wrk -t1 -c8 each, into OUT/callgrind/
#   OVERLOAD=1      after the measured rounds, drive /prod/limited (a LIMITED_RATE [500]/s method
#                   throttle) at 0.5×, 1× and 2× its rate with hey (OVERLOAD_DURATION [10s] each) and
#                   report admitted rate, 429 share and admitted p50/p99 (bench/overload.py)
#   SERVERLESS [auto]  1: also run the serverless-offline peer (bench/serverless: npm serverless@3 +
#                   serverless-offline@13, installed there with npm when missing) — the same Node.js
#                   handler (bench/lambda/handler.js) alone and behind the same TOKEN authorizer as
#                   Portcullis runs; 0: never; auto: when npm and node are on PATH
#   SKIP_BUILD=1    use the existing release binary; PORTCULLIS_BIN=path to use another binary
#   CARGO_TARGET_DIR   honoured when building and when locating the binary
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO"

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
WARMUP=${WARMUP:-2s}
PAUSE=${PAUSE:-1}
ONLY=${ONLY:-}
PORT_BASE=${PORT_BASE:-18080}
PROFILE_DURATION=${PROFILE_DURATION:-8s}
OUT=${OUT:-$BENCH_DIR/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

UPSTREAM_PORT=$((PORT_BASE + 1))
NGINX_PROXY_PORT=$((PORT_BASE + 2))
PC1_PORT=$((PORT_BASE + 3))
PC1_ADMIN_PORT=$((PORT_BASE + 4))
PCN_PORT=$((PORT_BASE + 5))
PCN_ADMIN_PORT=$((PORT_BASE + 6))
CG_PORT=$((PORT_BASE + 7))
CG_ADMIN_PORT=$((PORT_BASE + 8))
# serverless-offline's HTTP port and its Lambda invoke port.
SLS_PORT=$((PORT_BASE + 9))
SLS_LAMBDA_PORT=$((PORT_BASE + 10))
ALL_PORTS=("$UPSTREAM_PORT" "$NGINX_PROXY_PORT" "$PC1_PORT" "$PC1_ADMIN_PORT" "$PCN_PORT" "$PCN_ADMIN_PORT" "$CG_PORT" "$CG_ADMIN_PORT" "$SLS_PORT" "$SLS_LAMBDA_PORT")
SERVERLESS=${SERVERLESS:-auto}
if [[ $SERVERLESS == auto ]]; then
    if command -v npm >/dev/null && command -v node >/dev/null; then SERVERLESS=1; else SERVERLESS=0; fi
fi

BENCH_ACCESS_KEY=AKIABENCH00000000001
BENCH_SECRET=bench-secret-0000000000000000000000000000
# The API key of portcullis-apikey (bench/lua/apikey.lua sends it), and the method throttle of
# /prod/limited, which bench/overload.sh drives past its rate.
BENCH_API_KEY=bench-api-key-0123456789abcdef
LIMITED_RATE=${LIMITED_RATE:-500}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Scenarios. A scenario is: a name, a URL, an optional wrk Lua script (path relative to bench/,
# or "-"), the process whose CPU is charged to it (a key of PROC_PIDS below), and a description.
# To add one (e.g. the SigV4/IAM path), add a line here; a script that sets fixed headers is
#   wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=..."
#   wrk.headers["X-Amz-Date"] = "20261121T000000Z"
# (it must not define done(): bench/lua/report.lua is appended to it). A new process to measure
# is started in start_processes and registered with register_proc.
# ---------------------------------------------------------------------------------------------
SCENARIOS=()
add_scenario() { # name url lua measure description
    [[ $# -eq 5 ]] || die "add_scenario needs 5 arguments, got $#: $*"
    SCENARIOS+=("$1|$2|$3|$4|$5")
}
define_scenarios() {
    add_scenario direct "http://127.0.0.1:$UPSTREAM_PORT/bench" - upstream \
        "wrk straight to the nginx upstream (the ceiling; no proxy)"
    add_scenario nginx-proxy "http://127.0.0.1:$NGINX_PROXY_PORT/bench" - nginx-proxy \
        "nginx reverse proxy, 1 worker, keep-alive to the upstream"
    add_scenario portcullis-1w "http://127.0.0.1:$PC1_PORT/prod/bench" - portcullis-1w \
        "Portcullis http_proxy integration, server.worker_threads: 1"
    add_scenario portcullis-default "http://127.0.0.1:$PCN_PORT/prod/bench" - portcullis-default \
        "Portcullis http_proxy integration, default worker threads ($(nproc), one per CPU)"
    add_scenario portcullis-mock "http://127.0.0.1:$PC1_PORT/prod/mock" - portcullis-1w \
        "Portcullis mock integration, 1 worker: the gateway's own cost, no backend"
    # "sign:" scripts are generated right before each run (bench/sign.py, botocore's signer):
    # a SigV4 signature is only valid for five minutes around its X-Amz-Date.
    add_scenario portcullis-iam "http://127.0.0.1:$PC1_PORT/prod/iam/bench" sign: portcullis-1w \
        "Portcullis http_proxy behind AWS_IAM: SigV4 verification and IAM policy evaluation, 1 worker"
    # The same signed request to the same kind of route with auth off: what portcullis-iam costs
    # beyond it is exactly the authenticate and authorize phases ("sign:off": signed, not checked).
    add_scenario portcullis-iam-off "http://127.0.0.1:$PC1_PORT/prod/open/bench" sign:off portcullis-1w \
        "Portcullis http_proxy, the same signed request with auth off, 1 worker"
    # The stage cache: the same backend answer as portcullis-1w, served from the cache after the
    # first request (compare with portcullis-1w, the uncached proxy).
    add_scenario portcullis-cached "http://127.0.0.1:$PC1_PORT/prod/cached/bench" - portcullis-1w \
        "Portcullis http_proxy with the stage response cache (hits), 1 worker"
    # An API key and its usage plan (key lookup, plan throttle and quota, usage counted).
    add_scenario portcullis-apikey "http://127.0.0.1:$PC1_PORT/prod/keyed/bench" lua/apikey.lua portcullis-1w \
        "Portcullis http_proxy requiring an API key in a usage plan (throttle + quota), 1 worker"
    # A COGNITO_USER_POOLS authorizer: an ID token of the config's pool (bench/id_token.py signs in).
    add_scenario portcullis-cognito "http://127.0.0.1:$PC1_PORT/prod/cognito/bench" token: portcullis-1w \
        "Portcullis http_proxy behind a COGNITO_USER_POOLS authorizer (ID token, deny list on), 1 worker"
    # A TOKEN Lambda authorizer (examples/functions/token-authorizer/index.mjs under the Node.js
    # bootstrap), cached (300 s): after the first request, what it adds over portcullis-1w is the
    # cache lookup and the cached policy's evaluation against each method ARN.
    add_scenario portcullis-lambda-token "http://127.0.0.1:$PC1_PORT/prod/lambda/bench" lua/token.lua portcullis-1w \
        "Portcullis http_proxy behind a cached TOKEN Lambda authorizer (Node.js), 1 worker"
    # Lambda: the same Node.js handler (bench/lambda/handler.js) through Portcullis's aws_proxy
    # integration (its function host; the node processes are Portcullis's children, so their CPU
    # is charged to it), alone and behind the cached TOKEN authorizer; and the same two routes
    # behind serverless-offline, the peer users run today for this.
    add_scenario portcullis-lambda "http://127.0.0.1:$PC1_PORT/prod/lambda" - portcullis-1w \
        "Portcullis aws_proxy to a Node.js handler (runtime nodejs22.x, warm environments), 1 worker"
    add_scenario portcullis-lambda-secured "http://127.0.0.1:$PC1_PORT/prod/secured" lua/token.lua portcullis-1w \
        "Portcullis aws_proxy to that handler behind the cached TOKEN Lambda authorizer, 1 worker"
    if ((SERVERLESS)); then
        add_scenario serverless-offline "http://127.0.0.1:$SLS_PORT/dev/lambda" - serverless-offline \
            "serverless-offline 13 (Serverless Framework 3), the same Node.js handler behind an http event"
        add_scenario serverless-offline-token "http://127.0.0.1:$SLS_PORT/dev/secured" lua/token.lua serverless-offline \
            "serverless-offline: that handler behind the same TOKEN authorizer (cached 300 s)"
    fi
}

# Whether a scenario is selected (ONLY), for processes only some scenarios need.
wanted() { [[ -z $ONLY || " $ONLY " == *" $1 "* ]]; }

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
NGINX=""
find_nginx() {
    NGINX=$(command -v nginx || true)
    [[ -z $NGINX && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
    [[ -n $NGINX ]]
}
ensure_tools() {
    local missing=()
    find_nginx || missing+=(nginx-light)
    command -v wrk >/dev/null || missing+=(wrk)
    command -v curl >/dev/null || missing+=(curl)
    command -v python3 >/dev/null || missing+=(python3)
    command -v ss >/dev/null || missing+=(iproute2)
    if wanted serverless-offline; then
        command -v node >/dev/null || missing+=(nodejs)
        command -v npm >/dev/null || missing+=(npm)
    fi
    if ((${#missing[@]})); then
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
            log "installing ${missing[*]} with apt-get"
            if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$OUT/apt.log" 2>&1; then
                DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$OUT/apt.log" 2>&1 || true
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$OUT/apt.log" 2>&1 ||
                    die "apt-get install ${missing[*]} failed; see $OUT/apt.log"
            fi
            # The package's own nginx service is not ours to run; it must not hold port 80 either.
            if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v service >/dev/null; then
                service nginx stop >/dev/null 2>&1 || true
            fi
            find_nginx || die "nginx still not found after installing nginx-light"
        else
            die "missing tools: ${missing[*]}. Install them (Debian: sudo apt-get install -y nginx-light wrk curl python3 iproute2) or run as root to let this script do it."
        fi
    fi
}

# ---------------------------------------------------------------------------------------------
# Processes we start, and cleanup (always, via the EXIT trap)
# ---------------------------------------------------------------------------------------------
STARTED=()              # pids of processes started by this script
PORTS_OURS=0            # set once the benchmark's ports were found free (so they are ours to check)
declare -A PROC_PIDS=() # measured process name -> root pid

descendants() { # pid -> the pid and all its descendants
    local p=$1 c
    echo "$p"
    for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done
}

cleanup() {
    local rc=$? pid all=() p i
    trap - EXIT INT TERM
    for pid in "${STARTED[@]}"; do
        [[ -d /proc/$pid ]] || continue
        for p in $(descendants "$pid"); do all+=("$p"); done
        kill -TERM "$pid" 2>/dev/null || true
    done
    for ((i = 0; i < 100; i++)); do
        local alive=0
        for p in "${all[@]}"; do [[ -d /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "${all[@]}"; do
        if [[ -d /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
            log "process $p did not stop on SIGTERM; killing it"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
    local port busy=()
    ((PORTS_OURS)) || exit "$rc"
    for port in "${ALL_PORTS[@]}"; do
        if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then busy+=("$port"); fi
    done
    ((${#busy[@]})) && log "WARNING: still listening after cleanup: ports ${busy[*]}"
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

check_ports_free() {
    local port
    for port in "${ALL_PORTS[@]}"; do
        if ss -Hltn "sport = :$port" | grep -q .; then
            die "port $port is already in use (set PORT_BASE to move the benchmark's ports)"
        fi
    done
    PORTS_OURS=1
}

wait_http() { # url seconds pid [status] -> waits until the URL answers with status (default 200)
    local url=$1 secs=$2 pid=$3 want=${4:-200} i
    for ((i = 0; i < secs * 10; i++)); do
        [[ -d /proc/$pid ]] || return 1
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true) == "$want" ]]; then return 0; fi
        sleep 0.1
    done
    return 1
}

register_proc() { PROC_PIDS[$1]=$2; }

# ---------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------
write_nginx_conf() { # name body_of_http_block
    local name=$1 http=$2 dir="$OUT/nginx-$1"
    mkdir -p "$dir/logs" "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF
# Written by bench/run.sh.
worker_processes 1;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    # nginx closes a keep-alive connection after 1000 requests by default; a benchmark measures
    # steady keep-alive, for every path alike (Portcullis' backend connections go to this upstream).
    keepalive_requests 100000000;
    keepalive_timeout 75s;
$http
}
EOF
}

write_configs() {
    write_nginx_conf upstream "    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        location / { return 200 \"ok\\n\"; }
    }"
    write_nginx_conf proxy "    upstream backend {
        server 127.0.0.1:$UPSTREAM_PORT;
        keepalive 128;
        keepalive_requests 100000000;
    }
    server {
        listen 127.0.0.1:$NGINX_PROXY_PORT;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"

    cat >"$OUT/bench.openapi.yaml" <<'EOF'
# Written by bench/run.sh.
openapi: 3.0.1
info: {title: bench, version: "1"}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/{proxy}"
  /mock:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: "ok"}}}
  /iam/{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-auth: {type: AWS_IAM}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/{proxy}"
  /open/{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: "${stageVariables.backend}/{proxy}"
  /cached/{proxy+}:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/{proxy}"
        cacheKeyParameters: [method.request.path.proxy]
  /keyed/{proxy+}:
    get:
      security: [{api_key: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/{proxy}"
  /cognito/{proxy+}:
    get:
      security: [{pool: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/{proxy}"
  /limited:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/bench"
  /lambda/{proxy+}:
    get:
      security: [{token: []}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: "${stageVariables.backend}/{proxy}"
  /lambda:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:BenchNode/invocations"
  /secured:
    get:
      security: [{token: []}]
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:BenchNode/invocations"
components:
  securitySchemes:
    token:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:BenchTokenAuthorizer/invocations"
        authorizerResultTtlInSeconds: 300
    api_key: {type: apiKey, name: x-api-key, in: header}
    pool:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer:
        type: cognito_user_pools
        providerARNs: ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Bench"]
EOF
    local name port admin server
    for name in 1w default; do
        if [[ $name == 1w ]]; then
            port=$PC1_PORT admin=$PC1_ADMIN_PORT server="server: {worker_threads: 1}"
        else
            port=$PCN_PORT admin=$PCN_ADMIN_PORT server="# server.worker_threads: default (one per CPU)"
        fi
        cat >"$OUT/portcullis-$name.yaml" <<EOF
# Written by bench/run.sh.
region: us-east-1
account_id: "123456789012"
listen: 127.0.0.1:$port
admin_listen: 127.0.0.1:$admin
storage: "sqlite::memory:"
$server
# The default account limit (10,000 requests/s, as AWS) would throttle the load test itself.
account_throttle: {rate_limit: 100000000, burst_limit: 100000000}
api_keys:
  - {id: bench, name: bench, value: "$BENCH_API_KEY"}
usage_plans:
  - name: Bench
    api_stages: [{api: bench00001, stage: prod}]
    throttle: {rate_limit: 100000000, burst_limit: 100000000}
    quota: {limit: 1000000000, period: DAY}
    keys: [bench]
apis:
  - id: bench00001
    openapi: bench.openapi.yaml
    stages:
      prod:
        variables: {backend: "http://127.0.0.1:$UPSTREAM_PORT"}
        cache_cluster: {enabled: true, size_mb: 16}
        method_settings:
          "/cached/{proxy+}/GET": {caching_enabled: true, cache_ttl_in_seconds: 3600}
          "/limited/GET": {throttling_rate_limit: $LIMITED_RATE, throttling_burst_limit: $LIMITED_RATE}
user_pools:
  - id: us-east-1_Bench
    username_attributes: [email]
    sign_up_confirmation: auto
    password_policy: {require_symbols: false}
    clients: [{id: bench-web, auth_flows: [USER_PASSWORD_AUTH]}]
functions:
  # One environment per CPU: more Node.js processes than cores only trade CPU for context
  # switches (invocations past them wait for a free one, as the host queues them).
  - {name: BenchNode, runtime: nodejs22.x, handler: handler.handler, code: "$BENCH_DIR/lambda", reserved_concurrency: $(nproc)}
  - {name: BenchTokenAuthorizer, runtime: nodejs22.x, handler: index.handler, code: "$REPO/examples/functions/token-authorizer"}
iam:
  policies:
    InvokeBench: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:123456789012:bench00001/prod/*"}]}
  users:
    - name: bench
      access_keys: [{id: $BENCH_ACCESS_KEY, secret: "$BENCH_SECRET"}]
      policies: [InvokeBench]
EOF
        "$PORTCULLIS" validate --config "$OUT/portcullis-$name.yaml" >/dev/null ||
            die "portcullis rejected $OUT/portcullis-$name.yaml"
    done
}

# ---------------------------------------------------------------------------------------------
# Starting the processes
# ---------------------------------------------------------------------------------------------
start_processes() {
    # Started from this shell (never inside $(...)) so that the EXIT trap knows every pid.
    local n
    for n in upstream proxy; do
        "$NGINX" -t -q -p "$OUT/nginx-$n" -e "$OUT/nginx-$n/logs/error.log" -c "$OUT/nginx-$n/nginx.conf" >"$OUT/nginx-$n/logs/test.log" 2>&1 ||
            die "nginx rejected $OUT/nginx-$n/nginx.conf: $(cat "$OUT/nginx-$n/logs/test.log")"
    done
    launch nginx upstream "$UPSTREAM_PORT" upstream
    launch nginx proxy "$NGINX_PROXY_PORT" nginx-proxy
    launch portcullis 1w "$PC1_PORT" portcullis-1w
    launch portcullis default "$PCN_PORT" portcullis-default
    if ((SERVERLESS)); then launch_serverless; fi
    # The proxies really reach the upstream (and the function its handler).
    local url
    for url in "http://127.0.0.1:$NGINX_PROXY_PORT/bench" "http://127.0.0.1:$PC1_PORT/prod/bench" "http://127.0.0.1:$PCN_PORT/prod/bench" "http://127.0.0.1:$PC1_PORT/prod/lambda"; do
        [[ $(curl -s --max-time 5 "$url") == ok ]] || die "$url does not answer the upstream's \"ok\""
    done
    # The Lambda authorizer's route: the function starts (cold) on this first request.
    [[ $(curl -s --max-time 10 -H 'Authorization: allow:bench' "http://127.0.0.1:$PC1_PORT/prod/lambda/bench") == ok ]] ||
        die "the TOKEN authorizer route does not answer the upstream's ok; see $OUT/portcullis-1w.log"
}

launch() { # kind name port proc-key
    local kind=$1 name=$2 port=$3 key=$4 pid i
    if [[ $kind == nginx ]]; then
        local dir="$OUT/nginx-$name"
        "$NGINX" -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" >"$dir/logs/stdout.log" 2>&1 &
        pid=$!
        STARTED+=("$pid")
        wait_http "http://127.0.0.1:$port/bench" 10 "$pid" || die "nginx ($name) did not start; see $dir/logs/"
    else
        local logf="$OUT/portcullis-$name.log"
        : >"$logf"
        RUST_LOG=${RUST_LOG:-warn} "$PORTCULLIS" serve --config "$OUT/portcullis-$name.yaml" >"$logf" 2>&1 &
        pid=$!
        STARTED+=("$pid")
        for ((i = 0; i < 150; i++)); do
            [[ -d /proc/$pid ]] || die "portcullis ($name) exited; see $logf"
            grep -q 'listening on .*(edge)' "$logf" && break
            sleep 0.1
        done
        wait_http "http://127.0.0.1:$port/prod/mock" 10 "$pid" || die "portcullis ($name) is not answering on $port; see $logf"
    fi
    register_proc "$key" "$pid"
    log "started $key (pid $pid) on 127.0.0.1:$port"
}

# serverless-offline (bench/serverless), with the handler and the authorizer Portcullis runs copied
# beside its serverless.yml (serverless resolves handlers inside the service directory).
launch_serverless() {
    local dir="$BENCH_DIR/serverless" logf="$OUT/serverless-offline.log" pid
    if [[ ! -x $dir/node_modules/.bin/serverless ]]; then
        log "installing serverless@3 and serverless-offline@13 into bench/serverless (npm)"
        (cd "$dir" && npm install --no-audit --no-fund --silent) >"$OUT/npm.log" 2>&1 ||
            die "npm install failed in bench/serverless; see $OUT/npm.log"
    fi
    cp "$REPO/examples/functions/token-authorizer/index.mjs" "$dir/authorizer.mjs"
    cp "$BENCH_DIR/lambda/handler.js" "$dir/handler.js"
    : >"$logf"
    # Credentials are placeholders: serverless-offline calls no AWS service.
    (cd "$dir" && AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench SLS_TELEMETRY_DISABLED=1 \
        exec node_modules/.bin/serverless offline start --host 127.0.0.1 --httpPort "$SLS_PORT" \
        --lambdaPort "$SLS_LAMBDA_PORT" --noTimeout) >"$logf" 2>&1 &
    pid=$!
    STARTED+=("$pid")
    wait_http "http://127.0.0.1:$SLS_PORT/dev/lambda" 60 "$pid" || die "serverless-offline did not start; see $logf"
    [[ $(curl -s -H 'Authorization: allow:bench' "http://127.0.0.1:$SLS_PORT/dev/secured") == ok ]] ||
        die "serverless-offline's authorizer route does not answer ok; see $logf"
    register_proc serverless-offline "$pid"
    log "started serverless-offline (pid $pid) on 127.0.0.1:$SLS_PORT"
}

# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)

proc_sample() { # root pid -> "user:sys:ctxsw" of it and all its descendants (ticks, ticks, count)
    # user = utime+cutime, sys = stime+cstime (children included, as the method asks); ctxsw =
    # voluntary + involuntary context switches of every thread.
    local p u=0 s=0 c=0 stat rest t n
    for p in $(descendants "$1"); do
        stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${stat##*) } # fields from 3 on; comm (field 2) may contain spaces
        # shellcheck disable=SC2086
        set -- $rest
        u=$((u + ${12} + ${14}))
        s=$((s + ${13} + ${15}))
        for t in /proc/$p/task/*/status; do
            n=$(awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "$t" 2>/dev/null) || n=0
            c=$((c + n))
        done
    done
    echo "$u:$s:$c"
}

machine_ticks() { # -> "busy total" jiffies summed over all CPUs, from /proc/stat
    awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; idle = $5 + $6; print t - idle, t; exit }' /proc/stat
}

snapshot() { # -> "key=user:sys:ctxsw ..." for every measured process
    local key out=""
    for key in "${!PROC_PIDS[@]}"; do out+="$key=$(proc_sample "${PROC_PIDS[$key]}") "; done
    echo "$out"
}

wrk_script_for() { # scenario-name lua [url] -> path of the combined script
    local name=$1 lua=$2 url=${3:-} path="$OUT/lua/$1.lua"
    mkdir -p "$OUT/lua"
    {
        if [[ $lua == sign:* ]]; then
            python3 "$BENCH_DIR/sign.py" "$url" "$BENCH_ACCESS_KEY" "$BENCH_SECRET" ||
                die "scenario $name: cannot sign its request (see bench/sign.py)"
        elif [[ $lua == token: ]]; then
            python3 "$BENCH_DIR/id_token.py" "${url%%/prod/*}" ||
                die "scenario $name: cannot sign in to the user pool (see bench/id_token.py)"
        elif [[ $lua != - ]]; then
            [[ -f $BENCH_DIR/$lua ]] || die "scenario $name: no such wrk script bench/$lua"
            cat "$BENCH_DIR/$lua"
            echo
        fi
        cat "$BENCH_DIR/lua/report.lua"
    } >"$path"
    echo "$path"
}

CSV="$OUT/results.csv"

kv() { # "a=1 b=2" key -> value
    local pair
    for pair in $1; do [[ ${pair%%=*} == "$2" ]] && { echo "${pair#*=}"; return; }; done
    echo 0
}

run_wrk() { # round name url lua measure duration -> appends a row to results.csv (a warm-up is only checked)
    local round=$1 name=$2 url=$3 lua=$4 measure=$5 dur=$6
    local script raw="$OUT/raw/$round-$name.txt" timef="$OUT/raw/$round-$name.time"
    mkdir -p "$OUT/raw"
    script=$(wrk_script_for "$name" "$lua" "$url")
    local before after m0 m1 started_at
    started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    before=$(snapshot)
    m0=$(machine_ticks)
    # bash's `time` gives wrk's own CPU (user and system seconds).
    (
        TIMEFORMAT='%3U %3S'
        { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"$dur" --latency -s "$script" "$url" >"$raw" 2>&1; } 2>"$timef"
    ) &
    local wpid=$!
    STARTED+=("$wpid")
    wait "$wpid" || die "wrk failed for $name; see $raw"
    m1=$(machine_ticks)
    after=$(snapshot)

    local line
    line=$(grep '^BENCH_RESULT ' "$raw" | tail -1) || die "no result from wrk for $name; see $raw"
    line=${line#BENCH_RESULT }
    local requests non2xx
    requests=$(kv "$line" requests)
    non2xx=$(kv "$line" status_errors)
    ((requests > 0)) || die "$name: wrk completed no request; see $raw"
    if [[ $round == warmup ]]; then
        ((non2xx == 0)) || die "$name: $non2xx non-2xx answers during warm-up ($url); see $raw"
        return 0
    fi
    local rec="round=$round scenario=$name measure=$measure url=$url threads=$THREADS connections=$CONNECTIONS"
    rec+=" clk_tck=$CLK_TCK started_at=$started_at $line"
    rec+=" wrk_cpu=$(awk '{ print $1 ":" $2 }' "$timef") machine=$(echo "$m0 $m1" | tr ' ' ':')"
    local key
    for key in "${!PROC_PIDS[@]}"; do
        rec+=" proc.$key=$(kv "$before" "$key"):$(kv "$after" "$key")"
    done
    # shellcheck disable=SC2086
    python3 "$BENCH_DIR/summarize.py" --record "$CSV" $rec
}

profile_scenario() { # name url lua measure -> perf profile of the measured process under load
    local name=$1 url=$2 lua=$3 measure=$4 dir="$OUT/profile" pid script secs=${PROFILE_DURATION%s}
    [[ $secs =~ ^[0-9]+$ && $secs -ge 4 ]] || die "PROFILE_DURATION must be whole seconds, at least 4s"
    pid=${PROC_PIDS[$measure]}
    mkdir -p "$dir"
    script=$(wrk_script_for "$name" "$lua" "$url")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" -s "$script" "$url" >"$dir/$name.wrk.txt" 2>&1 &
    local wpid=$!
    STARTED+=("$wpid")
    sleep 1
    # cpu-clock: virtual machines often expose no hardware counters. DWARF unwinding because
    # release builds keep no frame pointers (the release profile has debug = 1 for symbols).
    perf record -q -F 499 -e cpu-clock --call-graph dwarf,16384 -p "$pid" -o "$dir/$name.perf.data" \
        -- sleep $((secs - 2)) >"$dir/$name.record.log" 2>&1 ||
        { log "perf record failed for $name; see $dir/$name.record.log"; return 0; }
    wait "$wpid" || true
    perf report -i "$dir/$name.perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
        sed 's/ \{3,\}/ /g' | grep -v '^$' >"$dir/$name.self.txt" || true
    perf report -i "$dir/$name.perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
        sed 's/ \{3,\}/ /g' | grep -v '^$' | grep -v '(inlined)' >"$dir/$name.children.txt" || true
    log "profile of $name: $dir/$name.self.txt (self time), $dir/$name.children.txt (inclusive)"
}

# Instructions per request under callgrind. The process runs on its own port (PORT_BASE+7/+8),
# with instrumentation switched on only while wrk runs, so start-up is not counted.
callgrind_scenario() { # name url lua measure
    local name=$1 url=$2 lua=$3 measure=$4 dir="$OUT/callgrind" port=$CG_PORT admin=$CG_ADMIN_PORT
    local orig pid script cmd=() i
    mkdir -p "$dir"
    case $measure in
        nginx-proxy) orig=$NGINX_PROXY_PORT ;;
        portcullis-1w) orig=$PC1_PORT ;;
        portcullis-default) orig=$PCN_PORT ;;
        *) return 0 ;;
    esac
    url=${url/:$orig\//:$port/}
    if [[ $measure == nginx-proxy ]]; then
        # One process doing the worker's job: valgrind and nginx's fork do not mix well.
        mkdir -p "$dir/nginx/logs" "$dir/nginx/tmp"
        sed -e 's/^master_process on;/master_process off;/' -e "s/listen 127.0.0.1:$orig;/listen 127.0.0.1:$port;/" \
            -e "s#^pid .*#pid $dir/nginx/nginx.pid;#" -e "s#$OUT/nginx-proxy/#$dir/nginx/#g" \
            "$OUT/nginx-proxy/nginx.conf" >"$dir/nginx/nginx.conf"
        cmd=("$NGINX" -p "$dir/nginx" -e "$dir/nginx/logs/error.log" -c "$dir/nginx/nginx.conf")
    else
        local conf=$OUT/portcullis-1w.yaml
        [[ $measure == portcullis-default ]] && conf=$OUT/portcullis-default.yaml
        cmd=("$PORTCULLIS" serve --config "$conf" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin")
    fi
    RUST_LOG=${RUST_LOG:-warn} valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/$name.callgrind.out" \
        "${cmd[@]}" >"$dir/$name.stdout.log" 2>"$dir/$name.valgrind.log" &
    pid=$!
    STARTED+=("$pid")
    # An unsigned probe of a SigV4 route is refused (403), which also proves the server is up.
    local expect=200
    [[ $lua == sign: ]] && expect=403
    wait_http "$url" 120 "$pid" "$expect" || die "$name under valgrind did not answer $url; see $dir/$name.valgrind.log"
    script=$(wrk_script_for "$name" "$lua" "$url")
    wrk -t1 -c8 -d2s -s "$script" "$url" >/dev/null 2>&1 || true # warm the connection pools
    callgrind_control -i on "$pid" >/dev/null 2>&1
    wrk -t1 -c8 -d"${CALLGRIND_DURATION:-10s}" -s "$script" "$url" >"$dir/$name.wrk.txt" 2>&1
    callgrind_control -i off "$pid" >/dev/null 2>&1
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    wait "$pid" 2>/dev/null || true
    local requests ir non2xx
    requests=$(grep -o 'BENCH_RESULT requests=[0-9]*' "$dir/$name.wrk.txt" | cut -d= -f2)
    non2xx=$(grep -o 'status_errors=[0-9]*' "$dir/$name.wrk.txt" | cut -d= -f2)
    ir=$(awk '/^totals:/ { print $2 }' "$dir/$name.callgrind.out")
    [[ -n $requests && -n $ir && $requests -gt 0 ]] || { log "callgrind: no result for $name"; return 0; }
    ((non2xx == 0)) || log "WARNING: callgrind $name: $non2xx non-2xx answers"
    [[ -f $dir/instructions.csv ]] || echo "scenario,measure,requests,instructions,instructions_per_request" >"$dir/instructions.csv"
    echo "$name,$measure,$requests,$ir,$((ir / requests))" >>"$dir/instructions.csv"
    callgrind_annotate --inclusive=yes "$dir/$name.callgrind.out" 2>/dev/null | head -150 >"$dir/$name.inclusive.txt" || true
    callgrind_annotate "$dir/$name.callgrind.out" 2>/dev/null | head -80 >"$dir/$name.self.txt" || true
    log "callgrind $name: $((ir / requests)) user-space instructions per request ($requests requests)"
}

# Throttling under load, at constant request rates (hey -q: requests per second per worker):
# /prod/limited has a method throttle of LIMITED_RATE requests/s (burst the same). Three runs of
# OVERLOAD_DURATION each: unloaded (half the rate), at the rate, and at twice the rate; for each,
# admitted requests/s, the share answered 429, and p50/p99 of the admitted (200) answers.
overload() {
    command -v hey >/dev/null || die "OVERLOAD=1 needs hey (Debian: apt-get install hey)"
    local url="http://127.0.0.1:$PC1_PORT/prod/limited" dir="$OUT/overload" workers=10 factor
    local dur=${OVERLOAD_DURATION:-10s}
    mkdir -p "$dir"
    rm -f "$dir"/x*.csv
    for factor in 0.5 1 2; do
        local rate per
        rate=$(python3 -c "print(int($LIMITED_RATE * $factor))")
        per=$(python3 -c "print(max(1, round($rate / $workers)))")
        log "overload: $rate requests/s against a $LIMITED_RATE/s throttle for $dur"
        # Let the bucket refill between runs.
        sleep 2
        hey -z "$dur" -c "$workers" -q "$per" -o csv "$url" >"$dir/x$factor.csv" 2>"$dir/x$factor.err" ||
            die "hey failed; see $dir/x$factor.err"
    done
    python3 "$BENCH_DIR/overload.py" "$dir" "$LIMITED_RATE" "${dur%s}"
}

busy_pct_over() { # seconds -> percent of all CPUs busy over that time
    local a b
    a=$(machine_ticks)
    sleep "$1"
    b=$(machine_ticks)
    # shellcheck disable=SC2086
    set -- $a $b
    echo $((100 * ($3 - $1) / ($4 - $2 > 0 ? $4 - $2 : 1)))
}

check_quiet() {
    local waited=0 busy
    while :; do
        busy=$(busy_pct_over 2)
        ((busy < 25)) && { log "machine ${busy} % busy before the run"; return; }
        ((waited >= ${WAIT_QUIET:-0})) && break
        log "machine ${busy} % busy (other work); waiting for it to calm down"
        sleep 8
        waited=$((waited + 10))
    done
    log "WARNING: the machine is ${busy} % busy with other work before the run; results will be noisy (see the 'not ours' column)"
}

# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------
main() {
    [[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || die "ROUNDS must be a positive integer"
    ((ROUNDS >= 2)) || log "WARNING: ROUNDS=$ROUNDS; the method asks for at least 2 rounds"
    ensure_tools
    check_ports_free

    if [[ -n ${PORTCULLIS_BIN:-} ]]; then
        PORTCULLIS=$PORTCULLIS_BIN
    else
        local target=${CARGO_TARGET_DIR:-$REPO/target}
        [[ $target == /* ]] || target=$REPO/$target
        PORTCULLIS=$target/release/portcullis
        if [[ ${SKIP_BUILD:-0} != 1 ]]; then
            log "building portcullis (release) into $target"
            cargo build --release -p portcullis >&2
        fi
    fi
    [[ -x $PORTCULLIS ]] || die "no portcullis binary at $PORTCULLIS"

    check_quiet
    rm -rf "$OUT/raw" "$OUT/lua" "$OUT/callgrind" "$OUT/profile"
    rm -f "$CSV" "$OUT/results.json" "$OUT/summary.md"
    write_configs
    start_processes

    define_scenarios
    local selected=() s name
    for s in "${SCENARIOS[@]}"; do
        name=${s%%|*}
        if [[ -z $ONLY || " $ONLY " == *" $name "* ]]; then selected+=("$s"); fi
    done
    ((${#selected[@]})) || die "ONLY=\"$ONLY\" matches no scenario"

    write_meta "${selected[@]}"

    local url lua measure round
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        log "warm-up: $WARMUP per scenario (not recorded)"
        for s in "${selected[@]}"; do
            IFS="|" read -r name url lua measure _ <<<"$s"
            run_wrk warmup "$name" "$url" "$lua" "$measure" "$WARMUP"
            sleep "$PAUSE"
        done
    fi
    for ((round = 1; round <= ROUNDS; round++)); do
        log "round $round of $ROUNDS: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
        for s in "${selected[@]}"; do
            IFS="|" read -r name url lua measure _ <<<"$s"
            run_wrk "$round" "$name" "$url" "$lua" "$measure" "$DURATION"
            sleep "$PAUSE"
        done
    done

    # The processes must have survived the whole run.
    local key
    for key in "${!PROC_PIDS[@]}"; do
        [[ -d /proc/${PROC_PIDS[$key]} ]] || die "$key (pid ${PROC_PIDS[$key]}) died during the run"
    done
    python3 "$BENCH_DIR/summarize.py" "$OUT"

    if [[ ${CALLGRIND:-0} == 1 ]]; then
        if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
            log "CALLGRIND=1 needs valgrind (Debian: apt-get install valgrind); skipping"
        else
            rm -rf "$OUT/callgrind"
            for s in "${selected[@]}"; do
                IFS="|" read -r name url lua measure _ <<<"$s"
                callgrind_scenario "$name" "$url" "$lua" "$measure"
            done
            [[ -f $OUT/callgrind/instructions.csv ]] && python3 "$BENCH_DIR/summarize.py" "$OUT"
        fi
    fi

    if [[ ${OVERLOAD:-0} == 1 ]]; then
        overload
    fi

    if [[ ${PROFILE:-0} == 1 ]]; then
        if ! command -v perf >/dev/null; then
            log "PROFILE=1 needs perf (Debian: apt-get install linux-perf); skipping"
        else
            rm -rf "$OUT/profile"
            for s in "${selected[@]}"; do
                IFS="|" read -r name url lua measure _ <<<"$s"
                if [[ $measure == portcullis* ]]; then profile_scenario "$name" "$url" "$lua" "$measure"; fi
            done
        fi
    fi
}

write_meta() { # scenarios...
    local nginx_version wrk_version rev
    nginx_version=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
    wrk_version=$(wrk -v 2>&1 | head -1 | awk '{print $2}' || true)
    rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
    python3 - "$OUT/meta.json" "$@" <<EOF
import json, subprocess, sys, datetime
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
scen = []
for s in sys.argv[2:]:
    name, url, lua, measure, desc = s.split("|", 4)
    scen.append({"name": name, "url": url, "lua": None if lua == "-" else lua, "measure": measure, "description": desc})
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "nproc": int(sh("nproc") or 0),
    "cpu_model": sh("lscpu | sed -n 's/^Model name: *//p'"),
    "hypervisor": sh("lscpu | sed -n 's/^Hypervisor vendor: *//p'"),
    "kernel": sh("uname -r"),
    "memory": sh("free -h | awk '/^Mem:/{print \$2}'"),
    "nginx": "$nginx_version",
    "wrk": "$wrk_version",
    "portcullis_binary": "$PORTCULLIS",
    "portcullis_version": sh("'$PORTCULLIS' --version"),
    "git_head": "$rev",
    "git_changed_files": int(sh("git -C '$REPO' --no-optional-locks status --porcelain 2>/dev/null | wc -l") or 0),
    "portcullis_binary_sha256": sh("sha256sum '$PORTCULLIS' | cut -c1-16"),
    "portcullis_binary_mtime": sh("date -u -r '$PORTCULLIS' +%Y-%m-%dT%H:%M:%SZ"),
    "threads": $THREADS, "connections": $CONNECTIONS, "duration": "$DURATION", "rounds": $ROUNDS,
    "warmup": "$WARMUP",
    "portcullis_default_workers": int(sh("nproc") or 0),
    "clk_tck": $CLK_TCK,
    "scenarios": scen,
}
json.dump(meta, open(sys.argv[1], "w"), indent=2)
EOF
}

main "$@"
