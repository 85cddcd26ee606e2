#!/usr/bin/env bash
# Builds the image users run, localhost/proxy911-exporter:TAG (default dev), from the top-level
# Dockerfile with podman: the release binary first (cargo, on this host), then the Dockerfile,
# which copies it into its base. When the base image cannot be pulled (no registry serves it
# here, nor in CI), a local stand-in is built under the same name from Debian's packages and
# the output says so: the Dockerfile that is built is the one users build.
# Usage: scripts/build-image.sh [TAG]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/podman/env.sh
tag=${1:-dev}
image=localhost/proxy911-exporter:$tag
base=$(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile | tail -1)
arch=amd64

# The commit's time as the build date, as scripts/release.sh does: the image's binary is the
# tarball's, byte for byte.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
echo "build-image: building the release binary (cargo build --release --locked)"
cargo build --release --locked --bin proxy911-exporter
mkdir -p ".build/linux-$arch"
install -m 0755 target/release/proxy911-exporter ".build/linux-$arch/proxy911-exporter"

if podman image exists "$base"; then
  echo "build-image: base $base is present"
elif timeout 60 podman pull -q "$base" >/dev/null 2>&1; then
  echo "build-image: pulled $base"
else
  echo "build-image: cannot pull $base (no registry reachable)"
  scripts/podman/standin-base.sh "$base"
fi

revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
echo "build-image: building $image from Dockerfile"
podman build -q --pull=never \
  --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" \
  --build-arg "CREATED=$created" \
  -t "$image" . >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "build-image: $image built ($((size / 1024 / 1024)) MiB, revision $revision)"
