ARG VERSION=1.2
LABEL stage=none
FROM alpine:${VERSION}
RUN apk add --no-cache tini=0.19.0-r2
USER 1000
ENTRYPOINT ["/sbin/tini", "--"]
