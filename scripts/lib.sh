# Shared set-up for the scripts in this folder: installs the system packages Hypertune needs
# when they are missing (Debian and Ubuntu), then leaves the environment ready for `swift`.

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
        echo "error: '$*' needs root and sudo is not available; install these packages by hand: $REQUIRED_PACKAGES" >&2
        return 1
    fi
}

REQUIRED_PACKAGES="libopenblas-dev zlib1g-dev pkg-config libsqlite3-dev"

# Installs the missing Debian packages among REQUIRED_PACKAGES (plus any given as arguments).
ensure_system_packages() {
    local missing=()
    for p in $REQUIRED_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "error: missing system packages (${missing[*]}) and no apt-get to install them" >&2
        return 1
    fi
    echo "Installing system packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
        { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

# Makes a Python virtual environment under .build/python with the packages given (pip), for the
# tests that check files with real third-party readers (TensorBoard), and exports
# HYPERTUNE_PYTHON, the interpreter the tests run. Installs python3 and its venv module from Debian
# when they are missing.
ensure_python_venv() {
    local venv=.build/python
    command -v python3 >/dev/null 2>&1 || ensure_system_packages python3
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >/dev/null 2>&1 || { ensure_system_packages python3-venv && python3 -m venv "$venv"; }
    fi
    local missing=()
    for p in "$@"; do "$venv/bin/python" -c "import ${p%%[=<>]*}" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing Python packages for the tests: ${missing[*]}" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
    fi
    HYPERTUNE_PYTHON="$(pwd)/$venv/bin/python"
    export HYPERTUNE_PYTHON
}

# Starts a throw-away PostgreSQL cluster for the tests (Debian's postgresql package, installed
# when missing) on a loopback port, exports HYPERTUNE_TEST_POSTGRES_URL for it, and stops and
# removes it when the calling script exits. As root, the server runs as the postgres user.
start_test_postgres() {
    ensure_system_packages postgresql
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "error: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
        return 1
    fi
    HYPERTUNE_PG_DIR=$(mktemp -d /tmp/hypertune-pg.XXXXXX)
    HYPERTUNE_PG_AS=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$HYPERTUNE_PG_DIR"
        HYPERTUNE_PG_AS=(runuser -u postgres --)
    fi
    HYPERTUNE_PG_CTL="$bin/pg_ctl"
    "${HYPERTUNE_PG_AS[@]}" "$bin/initdb" -D "$HYPERTUNE_PG_DIR/data" -A trust -U hypertune --no-sync >"$HYPERTUNE_PG_DIR/initdb.log" 2>&1 ||
        { cat "$HYPERTUNE_PG_DIR/initdb.log" >&2; return 1; }
    local port attempt
    for attempt in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 30000))
        if "${HYPERTUNE_PG_AS[@]}" "$HYPERTUNE_PG_CTL" -D "$HYPERTUNE_PG_DIR/data" -l "$HYPERTUNE_PG_DIR/server.log" -w \
            -o "-p $port -k $HYPERTUNE_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null; then
            export HYPERTUNE_TEST_POSTGRES_URL="postgresql://hypertune@127.0.0.1:$port/postgres"
            trap stop_test_postgres EXIT
            return 0
        fi
    done
    echo "error: the test PostgreSQL server did not start; its log:" >&2
    cat "$HYPERTUNE_PG_DIR/server.log" >&2
    return 1
}

stop_test_postgres() {
    "${HYPERTUNE_PG_AS[@]}" "$HYPERTUNE_PG_CTL" -D "$HYPERTUNE_PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$HYPERTUNE_PG_DIR"
}
