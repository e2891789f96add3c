# syntax=docker/dockerfile:1
FROM ubuntu:24.04
RUN <<EOF
apt-get update
apt-get install -y python3
rm -rf /var/lib/apt/lists/*
EOF
COPY <<EOF /etc/app.conf
listen = 8080
EOF
USER 1000
CMD ["python3", "-m", "http.server", "8080"]
