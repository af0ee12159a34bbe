#!/usr/bin/env bash
# `make run-prod`: the production profile on this machine — PostgreSQL (search in it too), Redis
# (caches, rate limits, the job queue), two gunicorn workers, a job worker, the relay and the
# scheduler — with the demo catalog. docs/deployment.md explains each part.
#
# Uses the PostgreSQL and Redis of this machine: PROD_DATABASE_URL (default: database
# ocop_prod on 127.0.0.1, created if missing) and PROD_REDIS_URL (default: Redis database 4).
# Served over plain HTTP on 127.0.0.1:$PORT, so secure cookies and HSTS are off here.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
DATABASE="${PROD_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/ocop_prod}"
REDIS="${PROD_REDIS_URL:-redis://127.0.0.1:6379/4}"
INSTANCE="${PROD_INSTANCE_PATH:-$PWD/instance-prod}"
mkdir -p "$INSTANCE"

# A database of its own, created on first use.
name="${DATABASE##*/}"; name="${name%%\?*}"
server="${DATABASE%/*}/postgres"
"$BIN/python" - "$server" "$name" <<'PY'
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": sys.argv[2]}):
        conn.execute(text(f'CREATE DATABASE "{sys.argv[2]}"'))
        print(f"created database {sys.argv[2]}")
PY

# A secret key kept beside the instance, made once.
if [ ! -s "$INSTANCE/secret-key" ]; then
    "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))' > "$INSTANCE/secret-key"
    chmod 600 "$INSTANCE/secret-key"
fi

export FLASK_CONFIG=production
export SECRET_KEY="$(cat "$INSTANCE/secret-key")"
export DATABASE_URL="$DATABASE"
export INSTANCE_PATH="$INSTANCE"
export PUBLIC_BASE_URL="http://127.0.0.1:$PORT"
export SESSION_COOKIE_SECURE=false HSTS_MAX_AGE=0
export SEARCH_BACKEND=postgres
export REDIS_URL="$REDIS" RATELIMIT_STORAGE_URI="$REDIS"
export JOBS_BACKEND=rq

"$BIN/flask" --app wsgi db upgrade
"$BIN/flask" --app wsgi seed-demo
"$BIN/flask" --app wsgi search reindex

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
"$BIN/flask" --app wsgi jobs worker & pids+=($!)
"$BIN/flask" --app wsgi jobs relay & pids+=($!)
"$BIN/flask" --app wsgi jobs scheduler & pids+=($!)
echo "OCOP Market (production profile) on http://127.0.0.1:$PORT — Ctrl-C stops every part"
"$BIN/gunicorn" --workers 2 --bind "127.0.0.1:$PORT" --no-control-socket wsgi:app & pids+=($!)
wait -n "${pids[@]}"
