#!/usr/bin/env bash
# Installs moto_server (PyPI moto[server]) into a venv outside the repository, idempotently.
# The S3 tests start it per test run (crates/trove-testkit); TROVE_MOTO overrides its path.
# Usage: scripts/setup-moto.sh   (run as root, or with sudo available)
set -euo pipefail

venv="${TROVE_VENV:-$HOME/.cache/trove-venv}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

# Debian's python3 needs python3-venv to create venvs.
if ! /usr/bin/python3 -m venv --help >/dev/null 2>&1 \
  || ! dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed"; then
  echo "setup-moto: installing python3-venv" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends python3 python3-venv
fi

if [[ -x "$venv/bin/moto_server" ]] && "$venv/bin/python3" -c "import moto, flask" 2>/dev/null; then
  echo "setup-moto: moto_server present in $venv" >&2
  exit 0
fi

echo "setup-moto: creating $venv with moto[server]" >&2
mkdir -p "$(dirname "$venv")"
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q 'moto[server]'
"$venv/bin/moto_server" --help >/dev/null
echo "setup-moto: moto_server ready at $venv/bin/moto_server" >&2
