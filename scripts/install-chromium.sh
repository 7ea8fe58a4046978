#!/usr/bin/env bash
# install-chromium.sh installs Debian's headless-capable Chromium for the
# report package's browser test (report/browser). It is idempotent: when
# /usr/bin/chromium already exists it does nothing. It needs root (or sudo)
# and Debian's package archive; nothing is downloaded from anywhere else.
#
# Usage: scripts/install-chromium.sh
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
	echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "install-chromium.sh: need root (or sudo) to run apt-get" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# fonts-dejavu-core gives the screenshots a readable sans-serif font.
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
echo "installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
