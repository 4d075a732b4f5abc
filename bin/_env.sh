# Shared by bin/up and bin/test: creates or refreshes the two virtual environments from the pinned
# requirements. A stamp (hash of the requirement files) skips the install when nothing changed.
# shellcheck shell=bash

PYTHON_BIN="${PYTHON_BIN:-$(command -v python3.11 || command -v python3)}"

_require_python() {
  "$PYTHON_BIN" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)' \
    || { echo "Python 3.11 or newer is needed (found $("$PYTHON_BIN" --version 2>&1))." >&2; exit 1; }
}

_stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# _ensure_venv DIR REQUIREMENT_FILES...: installs the files into DIR unless each one's current content
# was installed there before (a stamp per file content under DIR/.stamps).
_ensure_venv() {
  local dir="$1"; shift
  local files=("$@") missing=0 file
  for file in "${files[@]}"; do
    [ -f "$dir/.stamps/$(_stamp_of "$file")" ] || missing=1
  done
  if [ -x "$dir/bin/python" ] && [ "$missing" = 0 ]; then
    return 0
  fi
  echo "==> Installing ${files[*]} into $dir (the first time takes a few minutes)"
  [ -x "$dir/bin/python" ] || "$PYTHON_BIN" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --upgrade pip > "$dir/pip-install.log" 2>&1 || true
  local args=()
  for file in "${files[@]}"; do
    case "$file" in
      *constraints*) args+=(-c "$file") ;;
      *) args+=(-r "$file") ;;
    esac
  done
  if ! "$dir/bin/python" -m pip install --quiet "${args[@]}" > "$dir/pip-install.log" 2>&1; then
    grep -v "is ignored" "$dir/pip-install.log" >&2
    echo "Installing into $dir failed (log: $dir/pip-install.log)." >&2
    exit 1
  fi
  # jsonschema's optional IRI format check (rfc3987-syntax and its lark grammar, pulled in by jupyter-events'
  # format extras) builds a grammar when imported: 1.9 s added to every process that imports nbformat (papermill,
  # runners, the suite). Nothing here validates IRIs, so it is removed again.
  "$dir/bin/python" -m pip uninstall --quiet -y rfc3987-syntax lark >> "$dir/pip-install.log" 2>&1 || true
  "$dir/bin/python" -m pip check >/dev/null || { "$dir/bin/python" -m pip check; exit 1; }
  mkdir -p "$dir/.stamps"
  for file in "${files[@]}"; do
    touch "$dir/.stamps/$(_stamp_of "$file")"
  done
}

# The portal's environment (.venv) and the notebook kernels' environment (.venv-kernel), registered
# as the Jupyter kernel "go3s-factory" inside .venv so papermill finds it.
# Browser libraries the portal serves itself (mermaid), from the npm registry, per package-lock.json.
_ensure_node_modules() {
  local want; want="$(_stamp_of package-lock.json)"
  if [ -f node_modules/.go3s-stamp ] && [ "$(cat node_modules/.go3s-stamp)" = "$want" ]; then
    return 0
  fi
  command -v npm >/dev/null || { echo "npm (Node.js) is needed for the guide's diagram library." >&2; exit 1; }
  echo "==> Installing browser assets from package-lock.json (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > node_modules/.go3s-stamp
}

# JupyterHub's proxy (configurable-http-proxy), per hub/node/package-lock.json, apart from the browser assets.
_ensure_hub_proxy() {
  local want; want="$(_stamp_of hub/node/package-lock.json)"
  if [ -f hub/node/node_modules/.go3s-stamp ] && [ "$(cat hub/node/node_modules/.go3s-stamp)" = "$want" ]; then
    return 0
  fi
  echo "==> Installing JupyterHub's proxy from hub/node/package-lock.json (npm ci)"
  npm ci --prefix hub/node --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > hub/node/node_modules/.go3s-stamp
}

# The test suite's OpenID Connect provider (tests/oidc: node-oidc-provider), per its own package-lock.json.
ensure_test_oidc_provider() {
  local want; want="$(_stamp_of tests/oidc/package-lock.json)"
  if [ -f tests/oidc/node_modules/.go3s-stamp ] && [ "$(cat tests/oidc/node_modules/.go3s-stamp)" = "$want" ]; then
    return 0
  fi
  command -v npm >/dev/null || { echo "npm (Node.js) is needed for the test OpenID Connect provider." >&2; exit 1; }
  echo "==> Installing the test OpenID Connect provider from tests/oidc/package-lock.json (npm ci)"
  npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > tests/oidc/node_modules/.go3s-stamp
}

ensure_environments() {
  _require_python
  _ensure_node_modules
  _ensure_hub_proxy
  _ensure_venv .venv "$@"
  _ensure_venv .venv-kernel requirements/kernel-constraints.txt requirements/kernel.txt
  if [ ! -f .venv/share/jupyter/kernels/go3s-factory/kernel.json ] \
     || ! grep -q "$(pwd)/.venv-kernel/bin/python" .venv/share/jupyter/kernels/go3s-factory/kernel.json; then
    .venv-kernel/bin/python -m ipykernel install --prefix "$(pwd)/.venv" --name go3s-factory \
      --display-name "Go3s factory (Python 3.11)" >/dev/null 2>&1
  fi
}
