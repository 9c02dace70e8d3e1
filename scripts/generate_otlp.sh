#!/bin/sh
# Regenerates Sources/StewardOTLP/Generated from Sources/StewardOTLP/Protos.
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift built from the
# swift-protobuf version Package.swift names:
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf && cd swift-protobuf
#   swift build -c release --product protoc-gen-swift
# then: PROTOC_GEN_SWIFT=path/to/.build/release/protoc-gen-swift scripts/generate_otlp.sh
set -eu
cd "$(dirname "$0")/.."
protoc --plugin=protoc-gen-swift="${PROTOC_GEN_SWIFT:?set PROTOC_GEN_SWIFT to the built protoc-gen-swift}" \
  --swift_out=Sources/StewardOTLP/Generated --swift_opt=Visibility=Public \
  -I Sources/StewardOTLP/Protos otlp_trace.proto
