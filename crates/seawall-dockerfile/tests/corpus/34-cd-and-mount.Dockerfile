FROM ubuntu:22.04
RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt/lists \
    apt-get update && apt-get install -y --no-install-recommends build-essential=12.9ubuntu3
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc cd /build && make install
RUN service postgresql start && ps aux
USER 1000
