# Sourced by run.sh and test.sh: a virtualenv in .venv with sdmd installed (editable) and its extras.
VENV=${SDMD_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$VENV"; }
fi
stamp="$VENV/.sdmd-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[test]" && touch "$stamp"
fi
export PATH="$PWD/$VENV/bin:$PATH"
