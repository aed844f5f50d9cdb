#!/bin/sh
# Trunk post_build hook (Trunk.toml): puts the list of the build's files and a version (a
# hash of their contents) at the top of the staged sw.js, so that every change to the site
# is a new service worker, which browsers detect by comparing sw.js byte for byte.
set -eu
cd "${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
[ -f sw.js ] || { echo "precache.sh: no sw.js in $PWD" >&2; exit 1; }
files=$(find . -type f ! -name sw.js ! -name '*.d.ts' | sed 's|^\./||' | LC_ALL=C sort)
# shellcheck disable=SC2086 # the names are Trunk's (no spaces)
version=$(sha256sum $files | sha256sum | cut -c1-16)
{
  printf 'const VERSION = "%s";\nconst FILES = [\n' "$version"
  for f in $files; do printf '  "./%s",\n' "$f"; done
  printf '];\n'
  cat sw.js
} > sw.js.new
mv sw.js.new sw.js
