FROM debian:12
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 ca-certificates=20230311 \
 && curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg \
 && rm -rf /var/lib/apt/lists/*
USER 1000:1000
HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]
CMD ["bash"]
