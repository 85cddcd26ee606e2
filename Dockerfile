# The proxy911-exporter image, in the shape of Prometheus' own Dockerfile: the release binary,
# built beforehand on the host, copied into a minimal base. Why no build stage: the image then
# holds, byte for byte, the binary of the release tarball (the one dist/sha256sums.txt names), and
# it builds in seconds, with no compiler and no crates.io access inside the build.
#
#   scripts/build-image.sh [TAG]     # builds the binary, then this file, with podman
# or by hand:
#   cargo build --release --locked
#   mkdir -p .build/linux-amd64 && cp target/release/proxy911-exporter .build/linux-amd64/
#   podman build -t proxy911-exporter .        # or: docker build -t proxy911-exporter .
#
# The binary links glibc dynamically: build it on Debian 12 (glibc 2.36) or older, as the base is.
# The base is distroless "cc": glibc and libgcc, CA certificates, tzdata, /etc/passwd with the
# nonroot user 65532, and no shell, no package manager.
ARG ARCH="amd64"
ARG OS="linux"
FROM gcr.io/distroless/cc-debian12:nonroot
ARG ARCH="amd64"
ARG OS="linux"
ARG VERSION="0.1.0"
ARG REVISION="unknown"
ARG CREATED="unknown"
LABEL org.opencontainers.image.title="proxy911-exporter" \
      org.opencontainers.image.description="Prometheus exporter and account-management API for the 911Proxy OpenAPI" \
      org.opencontainers.image.source="https://github.com/proxy911-exporter/proxy911-exporter" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --chmod=0755 .build/${OS}-${ARCH}/proxy911-exporter /bin/proxy911-exporter
USER 65532:65532
EXPOSE 9911
ENTRYPOINT ["/bin/proxy911-exporter"]
