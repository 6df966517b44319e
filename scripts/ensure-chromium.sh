#!/bin/sh
# Install Debian's chromium for the HTML report tests, only when it is missing and we are root.
# Idempotent: does nothing when /usr/bin/chromium exists; the tests skip (with a reason) otherwise.
set -e
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "ensure-chromium: /usr/bin/chromium is missing and we are not root: the HTML report browser tests will skip" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: no apt-get: the HTML report browser tests will skip" >&2
    exit 0
fi
if ! { apt-get update -qq && apt-get install -y -qq chromium; }; then
    echo "ensure-chromium: installing chromium failed: the HTML report browser tests will skip" >&2
fi
