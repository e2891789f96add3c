FROM debian:12-slim
ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2015d0ec7b4dd2e8 https://example.com/tool /usr/local/bin/tool
ADD config/ /etc/app/
ADD vendor.tar.gz /opt/
RUN chmod +x /tini
ENTRYPOINT ["/tini", "--"]
USER 1000
