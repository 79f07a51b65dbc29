# Build: a static binary, with gitleaks' RE2 engine as in its own releases.
FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags gore2regex \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/release-gate .

# Run: the binary, git (secret-scan reads the repository with it) and CA
# certificates (registries, Prometheus, S3 over TLS). Nothing else.
FROM alpine:3.21
RUN apk add --no-cache git ca-certificates
COPY --from=build /out/release-gate /usr/local/bin/release-gate
ENTRYPOINT ["/usr/local/bin/release-gate"]
CMD ["check"]
