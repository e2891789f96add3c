FROM busybox:1.36
LABEL org.opencontainers.image.title="demo" \
      Maintainer="me@example.com" \
      com.docker.extension.api-version="1" \
      version="1.0"
COPY app /bin/app
USER 1000
CMD ["/bin/app"]
