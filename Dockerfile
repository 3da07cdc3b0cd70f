# syntax=docker/dockerfile:1
# bbcs: a static binary on an empty image, run as a non-root user.
#   docker build -t bbcs .
#   docker run -p 8080:8080 -v bbcs-data:/data -e BBCS_DATABASE_SQLITE_PATH=/data/bbcs.db bbcs
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Pure Go (SQLite included), so the binary needs no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bbcs ./cmd/bbcs \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/bbcs /bbcs
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV BBCS_HTTP_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/bbcs", "health"]
ENTRYPOINT ["/bbcs"]
CMD ["serve"]
