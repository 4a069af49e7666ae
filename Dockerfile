# herald serve in a container: build the binary with the Swift runtime linked in, then run it on a slim
# Debian with nothing else but CA certificates and time zones (for cron schedules in a zone).
#
#   docker build -t herald .
#   docker run -p 8080:8080 -v herald-data:/data -e HERALD_API_KEYS='admin:A-LONG-RANDOM-SECRET:all' herald
#
# The server listens on 0.0.0.0 in the container, which it does only with API keys (HERALD_API_KEYS or
# --api-key), or with --allow-unauthenticated when nothing but trusted clients can reach the port.
# scripts/container-smoke runs the runtime stage's filesystem without Docker.

FROM swift:6.3-bookworm AS build
WORKDIR /src
# The whole package: Package.swift names the test targets' folders too (.dockerignore leaves out builds).
COPY . .
RUN swift build -c release --product herald --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/herald" /out/herald

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home herald \
    && install -d -o herald -g herald -m 0750 /data
COPY --from=build /out/herald /usr/local/bin/herald
USER herald
WORKDIR /data
VOLUME ["/data"]
ENV HERALD_STORE=sqlite:/data/herald.db \
    HERALD_HOST=0.0.0.0 \
    HERALD_PORT=8080
EXPOSE 8080
# SIGTERM drains: requests in flight finish and streams end within 10 s, then the store is closed.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["herald", "health", "--server", "http://127.0.0.1:8080"]
ENTRYPOINT ["herald"]
CMD ["serve"]
