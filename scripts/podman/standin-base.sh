#!/usr/bin/env bash
# Builds a local stand-in for gcr.io/distroless/cc-debian12:nonroot, under that very name, from
# Debian's packages, for machines where no registry serves base images (CI here). It has what
# the distroless image has and the exporter needs: glibc and libgcc, the CA certificates (one
# bundle, as update-ca-certificates writes it), tzdata, netbase, /etc/passwd and /etc/group with
# root, nonroot (65532) and nobody, /tmp, /home/nonroot; no shell and no package manager.
# Usage: scripts/podman/standin-base.sh IMAGE_NAME
set -euo pipefail
name=${1:?usage: standin-base.sh IMAGE_NAME}
source "$(dirname "$0")/env.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs" "$work/debs"
(
  cd "$work/debs"
  apt-get download -qq libc6 libgcc-s1 ca-certificates tzdata netbase 2>/dev/null \
    || { apt-get update -qq && apt-get download -qq libc6 libgcc-s1 ca-certificates tzdata netbase; }
)
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$rootfs"
done
# What the packages' maintainer scripts would have done, and what distroless adds.
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/home/nonroot" "$rootfs/root"
find "$rootfs/usr/share/ca-certificates" -name '*.crt' -print0 | sort -z \
  | xargs -0 cat > "$rootfs/etc/ssl/certs/ca-certificates.crt"
cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
GROUP
echo 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"
ln -sf /usr/share/zoneinfo/Etc/UTC "$rootfs/etc/localtime"
# Nothing that runs a command: the image is shell-less, like distroless.
rm -rf "$rootfs/usr/sbin" "$rootfs/sbin" "$rootfs/usr/share/doc" "$rootfs/usr/share/man" \
  "$rootfs/usr/share/lintian" "$rootfs/usr/share/locale"
chown -R 0:0 "$rootfs"
chmod 1777 "$rootfs/tmp"
chown 65532:65532 "$rootfs/home/nonroot"
chmod 0700 "$rootfs/root"

tar --numeric-owner -C "$rootfs" -cf - . \
  | podman import -q \
      --change 'USER 65532:65532' \
      --change 'WORKDIR /home/nonroot' \
      --change 'LABEL io.proxy911.stand-in=debian-packages' \
      - "$name" >/dev/null
echo "build-image: built a local stand-in for $name from Debian's packages ($(du -sh "$rootfs" | cut -f1))"
