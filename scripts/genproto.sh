#!/usr/bin/env bash
# Regenerates the Go code for api/rankflow/v1 from its .proto.
# Needs protoc (Debian: protobuf-compiler) and the plugins pinned in go.mod's
# tool directives; OUT=dir writes elsewhere (CI uses it to check staleness).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-.}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN=$bin go install google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc connectrpc.com/connect/cmd/protoc-gen-connect-go
mkdir -p "$out"
PATH="$bin:$PATH" protoc -I . \
  --go_out="$out" --go_opt=paths=source_relative \
  --go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
  --connect-go_out="$out" --connect-go_opt=paths=source_relative \
  api/rankflow/v1/rankflow.proto
