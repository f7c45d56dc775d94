# Starts the machine's PostgreSQL (installing it where missing), creates a role and a
# database for the tests, and exports SUPPORTCTL_TEST_POSTGRES_URL. Sourced by .ci/run.
start_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "ci: installing PostgreSQL" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    fi
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)
    if [ -z "$version" ]; then
        echo "ci: no PostgreSQL cluster found" >&2
        return 1
    fi
    pg_ctlcluster "$version" main start 2>/dev/null || true
    for _ in $(seq 1 30); do
        if su postgres -c "pg_isready -q" 2>/dev/null; then break; fi
        sleep 1
    done
    su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'supportctl') THEN
    CREATE ROLE supportctl LOGIN PASSWORD 'supportctl' CREATEDB;
  END IF;
END $$;
-- The tests drop their databases WITH (FORCE), which must be able to end an autovacuum
-- worker that happens to be in one.
GRANT pg_signal_backend TO supportctl;
SQL
    su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname = 'supportctl'\"" | grep -q 1 \
        || su postgres -c "createdb -O supportctl supportctl"
    export SUPPORTCTL_TEST_POSTGRES_URL="postgres://supportctl:supportctl@127.0.0.1:5432/supportctl"
    echo "ci: PostgreSQL $version ready at $SUPPORTCTL_TEST_POSTGRES_URL" >&2
}
