#!/usr/bin/env bash
# Services the tests start for themselves: Virtuoso Open Source, for the remote-store tests
# (tests/virtuoso.py runs a throwaway instance on loopback; nothing is started here).
# Installs the Debian package when virtuoso-t is missing; does nothing otherwise.
set -euo pipefail

if command -v virtuoso-t >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
else
    sudo=""
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends virtuoso-opensource >/dev/null
command -v virtuoso-t >/dev/null
