#!/usr/bin/env python3
"""Checks manifests against the JSON Schemas in manifests/schemas/.

Usage: check_schemas.py [--expect-invalid] PATH...
Every *.yaml / *.yml under each PATH is read as YAML 1.2 would read it (no
yes/no booleans, dates stay text) and validated against the schema of its
kind; a *.json file named as a PATH is checked as a routing table. Exits 0 when every document is valid (or, with --expect-invalid, when
every file has at least one invalid document), 1 otherwise.
"""
import json
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "manifests" / "schemas"


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1; take its 1.1-only guesses out."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def validators():
    out = {}
    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        # The agent's config has no kind: it is found by its `repository` key.
        kind = schema["properties"]["kind"]["const"] if "kind" in schema["properties"] else AGENT_CONFIG
        out[kind] = jsonschema.Draft202012Validator(schema)
    return out


AGENT_CONFIG = "(agent config)"


def problems(path, kinds):
    if path.suffix == ".json":
        schema = json.loads((ROOT / "manifests" / "routing-table.schema.json").read_text())
        validator = jsonschema.Draft202012Validator(schema)
        return [f"{path}: {e.message}" for e in validator.iter_errors(json.loads(path.read_text()))]
    found = []
    for document in yaml.load_all(path.read_text(), Loader=Yaml12Loader):
        if document is None:
            continue
        kind = document.get("kind", AGENT_CONFIG if "repository" in document else None) if isinstance(document, dict) else None
        validator = kinds.get(kind)
        if validator is None:
            found.append(f"{path}: no schema for kind {document.get('kind') if isinstance(document, dict) else '?'}")
            continue
        for error in validator.iter_errors(document):
            where = "/".join(str(p) for p in error.absolute_path)
            found.append(f"{path}: {where}: {error.message}")
    return found


def main(arguments):
    expect_invalid = "--expect-invalid" in arguments
    roots = [pathlib.Path(a) for a in arguments if a != "--expect-invalid"]
    kinds = validators()
    files = sorted(p for root in roots for p in ([root] if root.is_file() else root.rglob("*.y*ml")))
    passed = failed = 0
    for path in files:
        found = problems(path, kinds)
        if bool(found) == expect_invalid:
            passed += 1
        else:
            failed += 1
            print(f"{path}: " + ("schema accepted an invalid file" if expect_invalid else "\n  ".join(found)))
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
