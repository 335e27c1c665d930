#!/usr/bin/env bash
# Print the path of a Python 3.12 interpreter, or explain how to get one and fail.
# Looks at $PYTHON, python3.12 / python3 on PATH, pyenv's versions, and uv's managed Pythons.
set -u
is312() { "$@" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' >/dev/null 2>&1; }
resolve() { "$@" -c 'import sys; print(sys.executable)'; }

if [ -n "${PYTHON:-}" ]; then
  if is312 "$PYTHON"; then resolve "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not a Python 3.12 interpreter" >&2; exit 1
fi
for cand in python3.12 python3 python; do
  if command -v "$cand" >/dev/null 2>&1 && is312 "$cand"; then resolve "$cand"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
    exe="$(pyenv root)/versions/$v/bin/python3.12"
    if [ -x "$exe" ] && is312 "$exe"; then echo "$exe"; exit 0; fi
  done
fi
for exe in "$HOME"/.local/share/uv/python/cpython-3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do
  if [ -x "$exe" ] && is312 "$exe"; then echo "$exe"; exit 0; fi
done
cat >&2 <<'MSG'
No Python 3.12 interpreter found. This project needs exactly Python 3.12
(vietnam-provinces 2026.x requires >= 3.12; on older Pythons pip silently installs a release
without the pre-2025 units). Install one of:
  pyenv install 3.12          (then re-run)
  uv python install 3.12      (then re-run)
  apt-get install python3.12 python3.12-venv   (Debian 13 / Ubuntu 24.04)
or point PYTHON=/path/to/python3.12 at an existing interpreter.
MSG
exit 1
