FROM alpine:3.20
RUN apk add --no-cache curl=8.9.1-r1 wget=1.24.5-r0
RUN wget https://example.com/a.tar.gz
RUN curl -sSLo b.tar.gz https://example.com/b.tar.gz
RUN wget -O - https://get.example.sh | sh
USER 1000
