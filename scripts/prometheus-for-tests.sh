#!/usr/bin/env bash
# Debian's Prometheus (server and promtool) for the monitoring tests, unpacked into a folder
# and never installed: no service is started, nothing lands in /usr. Prints the folder whose
# usr/bin holds the binaries; tests find it through PIPELINE_TEST_PROMETHEUS_DIR.
#   export PIPELINE_TEST_PROMETHEUS_DIR=$(scripts/prometheus-for-tests.sh)
set -euo pipefail
dest=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/news-pipeline/prometheus}
if [ ! -x "$dest/usr/bin/prometheus" ] || [ ! -x "$dest/usr/bin/promtool" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  chmod 755 "$work"  # apt's sandbox user must be able to write the download
  if ! (cd "$work" && apt-get -o DPkg::Lock::Timeout=600 download prometheus >&2); then
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    (cd "$work" && apt-get download prometheus >&2)
  fi
  mkdir -p "$dest"
  dpkg-deb -x "$work"/prometheus_*.deb "$dest"
fi
echo "$dest"
