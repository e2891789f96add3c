ARG BASE_TAG=3.19
FROM --platform=linux/amd64 alpine:${BASE_TAG} AS base
RUN apk add --no-cache bash=5.2.21-r0
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /app .
FROM base
COPY --from=build /app /app
USER 1000
ENTRYPOINT ["/app"]
