# syntax=docker/dockerfile:1
# The image behind `uses: release-gate/release-gate@v1` (action.yml names it
# by version). Base images are pinned by digest; to update one, read the new
# digest with `docker buildx imagetools inspect golang:1.26-alpine` (or let
# Dependabot do it) and change the tag and the digest together.

# Build: a static binary, with gitleaks' RE2 engine as in its own releases,
# cross-compiled on the build machine for each target platform.
FROM --platform=$BUILDPLATFORM golang:1.26-alpine@sha256:7a3e50096189ad57c9f9f865e7e4aa8585ed1585248513dc5cda498e2f41812c AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false -tags gore2regex \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/release-gate .

# Run: the binary, git (secret-scan reads the repository with it) and CA
# certificates (registries, Prometheus, S3 over TLS). Nothing else. No USER:
# GitHub runs Docker actions as the image's default user, and the workspace
# it mounts belongs to the runner's.
FROM alpine:3.21@sha256:48b0309ca019d89d40f670aa1bc06e426dc0931948452e8491e3d65087abc07d
RUN apk add --no-cache git ca-certificates
COPY --from=build /out/release-gate /usr/local/bin/release-gate
LABEL org.opencontainers.image.source="https://github.com/release-gate/release-gate" \
      org.opencontainers.image.description="Block a production deploy unless the release checklist holds" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["/usr/local/bin/release-gate"]
CMD ["check"]
