#!/usr/bin/env bash
# The Debian packages adr_graph's sandbox needs: bubblewrap (bwrap), for least-privilege runs.
# `scripts/system-packages.sh install` installs what is missing with apt-get, as root; where that
# cannot be done it says why and exits 1 (LocalSandbox then falls back to `unshare`, logged).
set -euo pipefail

PACKAGES=(bubblewrap)
BINARIES=(bwrap)

missing() {
    local i
    for i in "${!BINARIES[@]}"; do
        command -v "${BINARIES[$i]}" >/dev/null 2>&1 || echo "${PACKAGES[$i]}"
    done
}

case "${1:-install}" in
install)
    mapfile -t want < <(missing)
    if [ "${#want[@]}" -eq 0 ]; then
        exit 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "system-packages: ${want[*]} missing and this is not root: run 'sudo apt-get install ${want[*]}'" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "system-packages: ${want[*]} missing and there is no apt-get here: install ${want[*]} with this system's package manager" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${want[@]}" >/dev/null; then
        apt-get update -qq >/dev/null && apt-get install -y --no-install-recommends "${want[@]}" >/dev/null || {
            echo "system-packages: apt-get could not install ${want[*]}" >&2
            exit 1
        }
    fi
    command -v bwrap >/dev/null
    ;;
check)
    mapfile -t want < <(missing)
    [ "${#want[@]}" -eq 0 ] || { echo "missing: ${want[*]}" >&2; exit 1; }
    ;;
*)
    echo "usage: $0 [install|check]" >&2
    exit 2
    ;;
esac
