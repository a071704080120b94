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
