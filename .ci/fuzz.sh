#!/usr/bin/env bash
# Fuzzes the API with schemathesis against GET /v1/openapi.json of `supportctl server --dev`,
# once per role, each on a fresh dev server (so one role's fuzzing cannot disable another's
# account). Every check runs: no 5xx, statuses, content types and bodies as documented,
# schema-invalid input refused. Usage: .ci/fuzz.sh [path/to/supportctl] [seconds per role]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/supportctl}
SECONDS_PER_ROLE=${2:-45}
SCHEMATHESIS_VERSION=4.32.5

if ! command -v schemathesis >/dev/null 2>&1 \
    || [ "$(schemathesis --version | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

failed=0
for role in ADMIN SUPPORT SERVICE OPERATOR; do
    rm -f "$work"/*
    # No failed-authentication or per-account limit: the fuzzer sends bad tokens and repeats
    # calls on purpose, and 429s would hide the rest of the API from it
    # (tests/integration/rate_limit.rs covers the limits).
    SUPPORTCTL_LOG=warn "$BIN" server --dev --listen 127.0.0.1:0 --db "sqlite://$work/fuzz.db" \
        --auth-failures-per-minute 0 --account-requests-per-minute 0 --account-sessions-per-minute 0 \
        > "$work/exports" 2> "$work/server.log" &
    server_pid=$!
    for _ in $(seq 1 100); do
        [ "$(wc -l < "$work/exports")" -ge 5 ] && break
        sleep 0.1
    done
    eval "$(cat "$work/exports")"
    token_var="SUPPORTCTL_${role}_TOKEN"
    echo "fuzz: as ${role,,} against $SUPPORTCTL_SERVER for ${SECONDS_PER_ROLE}s" >&2
    if ! schemathesis --config-file .ci/schemathesis.toml --no-color \
        run "$SUPPORTCTL_SERVER/v1/openapi.json" \
        --checks all \
        --header "Authorization: Bearer ${!token_var}" \
        --max-time "$SECONDS_PER_ROLE" \
        --max-examples 50 \
        --seed 20261127 \
        --generation-database none \
        --workers 1; then
        failed=1
    fi
    if grep -q "panicked" "$work/server.log"; then
        echo "fuzz: the server panicked:" >&2
        grep -A5 "panicked" "$work/server.log" >&2
        failed=1
    fi
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
    server_pid=
done
exit $failed
