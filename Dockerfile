# proxy911-exporter container image: a pinned Rust builder, then distroless (glibc, CA
# certificates, nonroot user, no shell). Build: docker build -t proxy911-exporter .
FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /src
ARG PROXY911_GIT_REVISION=unknown
ENV PROXY911_GIT_REVISION=${PROXY911_GIT_REVISION}
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY crates ./crates
COPY docs/admin-openapi.json ./docs/admin-openapi.json
RUN cargo build --release --locked --bin proxy911-exporter \
    && install -D -m 0755 target/release/proxy911-exporter /out/proxy911-exporter

FROM gcr.io/distroless/cc-debian12:nonroot
ARG PROXY911_GIT_REVISION=unknown
LABEL org.opencontainers.image.title="proxy911-exporter" \
      org.opencontainers.image.description="Prometheus exporter and account-management API for the 911Proxy OpenAPI" \
      org.opencontainers.image.source="https://github.com/proxy911-exporter/proxy911-exporter" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.revision="${PROXY911_GIT_REVISION}"
COPY --from=build /out/proxy911-exporter /usr/local/bin/proxy911-exporter
USER 65532:65532
EXPOSE 9911
ENTRYPOINT ["/usr/local/bin/proxy911-exporter"]
