#!/usr/bin/env bash
# Builds the release tarball in the layout of Prometheus' own release tarballs:
#   dist/proxy911-exporter-VERSION.linux-amd64.tar.gz, one folder holding the binary, LICENSE,
#   README.md, the Grafana dashboards, the alert rules, an example web configuration, a
#   multi-target config file (with the demo's keys) and its Prometheus scrape configuration;
#   dist/sha256sums.txt, as `sha256sum -c` reads it.
# Reproducible for one commit: file times and the build date are the commit's
# (SOURCE_DATE_EPOCH), owners are 0, names sorted, gzip without a time stamp.
# Usage: scripts/release.sh [DIST_DIR]   (default dist)
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
platform=linux-amd64
name=proxy911-exporter-$version.$platform
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

echo "release: building $name (cargo build --release --locked)"
cargo build --release --locked --bin proxy911-exporter

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
folder=$stage/$name
mkdir -p "$folder/dashboards" "$folder/alerts" "$folder/examples"
install -m 0755 target/release/proxy911-exporter "$folder/proxy911-exporter"
install -m 0644 LICENSE README.md "$folder/"
install -m 0644 grafana/dashboards/*.json "$folder/dashboards/"
install -m 0644 alerts/proxy911.rules.yml alerts/alertmanager.example.yml "$folder/alerts/"
# Every example, folders included (the multi-target config file with its demo keys).
(cd examples && find . -type f | sort) | while read -r file; do
  install -D -m 0644 "examples/$file" "$folder/examples/$file"
done

mkdir -p "$dist"
tarball=$dist/$name.tar.gz
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  -C "$stage" -cf - "$name" | gzip -n -9 > "$tarball"
(cd "$dist" && sha256sum "$name.tar.gz" > sha256sums.txt)
echo "release: $tarball ($(du -h "$tarball" | cut -f1))"
cat "$dist/sha256sums.txt"
