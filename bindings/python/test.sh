#!/usr/bin/env bash
# Builds the Python package (debug profile) into a venv under target/ and
# runs the pytest suite: the behaviour tests of every binding.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=target/pyenv/venv
if [ ! -x "$VENV/bin/pytest" ] || [ ! -x "$VENV/bin/maturin" ]; then
    python3 -m venv "$VENV"
    # Pinned: the versions this suite was written and timed against.
    "$VENV/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 pytest==9.2.0
fi
# `maturin develop` builds with the dev profile and installs into the venv
# (a shipped wheel is `maturin build --release`, docs/BINDINGS.md).
(cd bindings/python && VIRTUAL_ENV="$OLDPWD/$VENV" PATH="$OLDPWD/$VENV/bin:$PATH" \
    "$OLDPWD/$VENV/bin/maturin" develop --quiet)
"$VENV/bin/pytest" -q -p no:cacheprovider bindings/python/tests "$@"
