#!/usr/bin/env bash
# CI smoke run of the generator and the benchmark at tiny sizes (well under a minute), against a
# dedicated database so it never touches other data. Usage: scripts/bench-smoke.sh [server-url]
# (default postgres://postgres@127.0.0.1:5432/postgres; the database mre_bench_smoke is created there).
set -euo pipefail
cd "$(dirname "$0")/.."

server_url=${1:-${BENCH_SERVER_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
database=mre_bench_smoke
psql "$server_url" -v ON_ERROR_STOP=1 -qAtc "select 1 from pg_database where datname = '$database'" | grep -q 1 \
  || psql "$server_url" -v ON_ERROR_STOP=1 -qc "create database $database"

export DATABASE_URL=${server_url%/*}/$database
# Throw-away secrets for a throw-away database: the generator and the benchmark must share them.
export PATIENT_KEY_SECRET=${PATIENT_KEY_SECRET:-bench-smoke-patient-key-secret-0123456789}
export AUTH_SIGNING_KEY=${AUTH_SIGNING_KEY:-$(node scripts/generate-signing-key.ts)}

npm run --silent generate -- --results 2000 --patients 200 --decisions 200
npm run --silent bench -- --quick --out "${BENCH_OUT:-results}"
