#!/usr/bin/env bash
# Installs every tool the tests use, idempotently: Debian's Prometheus (promtool), Alertmanager
# (amtool), wrk, and a Python venv (.venv) with the strict OpenMetrics parser and the linters.
# With CI=true it always refreshes; otherwise it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(prometheus prometheus-alertmanager wrk)
need_apt=false
for bin in promtool prometheus prometheus-alertmanager amtool wrk; do
  command -v "$bin" >/dev/null 2>&1 || need_apt=true
done
if [[ "${CI:-}" == "true" || "$need_apt" == "true" ]]; then
  # Debian's packages try to start their services; PID 1 is not systemd here, so forbid it.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
if [[ "${CI:-}" == "true" ]] || ! .venv/bin/python -c "import prometheus_client" 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
fi
