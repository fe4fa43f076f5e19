#!/usr/bin/env bash
# Installs Arize Phoenix, the OTLP trace backend that tests/tests/phoenix.rs
# exports to, into a virtualenv (default: target/phoenix-venv). Idempotent:
# an existing installation of the pinned version is kept.
set -euo pipefail
version=20.26.1
venv=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/target/phoenix-venv"}
if [ -x "$venv/bin/phoenix" ] && "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('arize-phoenix') == '$version'" 2>/dev/null; then
  echo "Arize Phoenix $version is installed in $venv"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "arize-phoenix==$version"
echo "Arize Phoenix $version installed in $venv"
