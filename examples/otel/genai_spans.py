#!/usr/bin/env python3
"""Sends model calls to the Steward agent as OpenTelemetry spans, through
the OpenTelemetry Python SDK: the GenAI semantic conventions' attributes,
plus the Steward model and version the call was routed to.

    python3 genai_spans.py --agent http://127.0.0.1:7480 --token-file token \\
        --model customer-support-agent --version 2.4.0 --count 200 --errors 0.05

--encoding protobuf uses the SDK's OTLP/HTTP exporter as it ships;
--encoding json sends the same export request, made by the SDK's own OTLP
encoder, in protobuf's JSON mapping. --unversioned N adds N model calls that
do not say their version (the agent refuses each). Prints what it sent.
"""
import argparse
import random
import sys

import requests
from google.protobuf import json_format
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode


class JSONSpanExporter(SpanExporter):
    """The SDK's export request, POSTed as JSON."""

    def __init__(self, endpoint, headers):
        self.endpoint, self.headers = endpoint, dict(headers, **{"Content-Type": "application/json"})
        self.answers = []

    def export(self, spans):
        body = json_format.MessageToJson(encode_spans(spans))
        answer = requests.post(self.endpoint, data=body, headers=self.headers, timeout=10)
        self.answers.append((answer.status_code, answer.text))
        return SpanExportResult.SUCCESS if answer.ok else SpanExportResult.FAILURE

    def shutdown(self):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--errors", type=float, default=0.0)
    parser.add_argument("--unversioned", type=int, default=0)
    parser.add_argument("--encoding", choices=["protobuf", "json"], default="protobuf")
    args = parser.parse_args()
    with open(args.token_file) as f:
        headers = {"Authorization": "Bearer " + f.read().strip()}
    endpoint = args.agent.rstrip("/") + "/v1/traces"
    exporter = OTLPSpanExporter(endpoint=endpoint, headers=headers) if args.encoding == "protobuf" else JSONSpanExporter(endpoint, headers)
    provider = TracerProvider(resource=Resource.create({"service.name": "support-api", "steward.model": args.model}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("genai_spans")
    rng = random.Random(7)
    for i in range(args.count + args.unversioned):
        with tracer.start_as_current_span("chat gpt-4.1", kind=trace.SpanKind.CLIENT) as span:
            span.set_attribute("gen_ai.operation.name", "chat")
            span.set_attribute("gen_ai.request.model", "gpt-4.1")
            span.set_attribute("gen_ai.usage.input_tokens", 400 + i % 50)
            span.set_attribute("gen_ai.usage.output_tokens", 180 + i % 30)
            span.set_attribute("steward.rating", 4.2)
            if i < args.count:
                span.set_attribute("steward.version", args.version)
            if rng.random() < args.errors:
                span.set_status(Status(StatusCode.ERROR, "upstream 500"))
    provider.shutdown()
    if isinstance(exporter, JSONSpanExporter):
        bad = [a for a in exporter.answers if a[0] != 200]
        if bad:
            print("the agent answered:", bad[:3], file=sys.stderr)
            return 1
    print(f"sent {args.count + args.unversioned} spans ({args.unversioned} without a version), {args.encoding}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
