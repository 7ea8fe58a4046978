#!/usr/bin/env bash
# Fetches the official AsyncAPI JSON Schemas (npm package @asyncapi/specs,
# Apache-2.0) into bin/asyncapi-specs/, for render/asyncapi's test that
# validates `syncaudit analyze -o asyncapi` against the AsyncAPI 3.0.0
# schema. Needs npm and the npm registry; a no-op when already there.
#
# usage: scripts/install-asyncapi-schema.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION=6.11.1
dest="$BIN/asyncapi-specs"
schema="$dest/package/schemas/3.0.0-without-\$id.json"
if [[ -f $schema ]]; then
	log "asyncapi schema: up to date ($schema)"
	exit 0
fi
command -v npm >/dev/null || die "npm is needed to fetch @asyncapi/specs"
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@asyncapi/specs@$VERSION" >/dev/null)
tar -xzf "$tmp"/asyncapi-specs-"$VERSION".tgz -C "$dest"
[[ -f $schema ]] || die "no $schema in @asyncapi/specs@$VERSION"
log "asyncapi schema: $schema"
