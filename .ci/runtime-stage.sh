#!/bin/sh
# The container image's runtime stage (Dockerfile), as a script: the Dockerfile runs it, and so
# does CI, outside any container (test/package.test.ts), so the recipe cannot rot unseen.
#
#   runtime-stage.sh <hodei-*.tgz> <install-dir> <data-dir> <user>
#
# Installs the packed package with production dependencies only into an empty directory (no
# sources, no dev tools, no build), and gives the data directory to the unprivileged user the
# supervisor runs as. Extra npm settings come from the environment (npm_config_*).
set -eu
tarball=$1
home=$2
data=$3
user=$4

mkdir -p "$home" "$data"
cd "$home"
[ -f package.json ] || printf '{ "private": true }\n' > package.json
npm install --omit=dev --no-audit --no-fund --no-update-notifier "$tarball"
test -x node_modules/.bin/hodei
chown -R "$user" "$data"
