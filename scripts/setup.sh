#!/usr/bin/env bash
# Installs whatever churnscope needs that this machine lacks, from package registries only
# (crates.io, npm, Debian). Idempotent: a second run does nothing but checks.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "${CHURNSCOPE_NO_BROWSER:-}" != 1 ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  # A Chinese font, so pages and charts with Chinese column names render (and the e2e
  # screenshots show them) instead of empty boxes: WenQuanYi Micro Hei, about 5 MB.
  if ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
    say "installing Debian's fonts-wqy-microhei (a CJK font)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-wqy-microhei >/dev/null
  fi
fi

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (about 6 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # Without --locked: with it this version fails to build (../shared/TOOLCHAIN.md).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ ! -x node_modules/.bin/wasm-opt ]; then
  say "installing wasm-opt (npm binaryen) from package-lock.json"
  npm ci --no-audit --no-fund
fi

# The SQL engines the exported queries run in during the tests: DuckDB, Spark SQL (pyspark,
# which needs a Java runtime) and sqlglot for BigQuery's dialect, from PyPI into .venv; a
# PostgreSQL server from Debian (the test starts a throw-away cluster and stops it).
if [ "${CHURNSCOPE_NO_SQL_ENGINES:-}" != 1 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  apt_install() {
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o Dpkg::Options::=--force-confold "$@" >/dev/null
  }
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "installing Debian's postgresql (server binaries only: no cluster is created or started)"
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
    apt_install postgresql
  fi
  if ! command -v java >/dev/null; then
    say "installing Debian's default-jre-headless (Java for Spark)"
    apt_install default-jre-headless
  fi
  if ! .venv/bin/python -c "import duckdb, pyspark, sqlglot" 2>/dev/null \
    || ! .venv/bin/pip freeze 2>/dev/null | grep -qx "duckdb==2.0.1"; then
    say "installing DuckDB, pyspark and sqlglot from PyPI into .venv (about a minute)"
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r scripts/sql-engines-requirements.txt
  fi
fi

say "fetching crates"
cargo fetch --quiet
