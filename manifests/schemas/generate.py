#!/usr/bin/env python3
"""Writes the JSON Schemas of Steward's kinds (draft 2020-12), one file per kind.

The schemas mirror what StewardSpec decodes; run this after changing a kind:
    python3 manifests/schemas/generate.py
They let editors (yaml-language-server) check manifests as people type. The
semantic rules that span documents (does the canary exist, do weights sum to
100) are `steward validate`'s alone.
"""
import json
import pathlib

HERE = pathlib.Path(__file__).parent


def obj(properties, required=(), description=None):
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    if description:
        schema["description"] = description
    return schema


def one_of_keys(options):
    """An object with exactly one of the given keys (a tagged union)."""
    return {
        "type": "object",
        "properties": options,
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
    }


def string(description=None, **extra):
    schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def strings():
    return {"type": "array", "items": {"type": "string"}}


def number(minimum=None, maximum=None, description=None):
    schema = {"type": "number"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if description:
        schema["description"] = description
    return schema


def integer(minimum=None, maximum=None, description=None):
    schema = number(minimum, maximum, description)
    schema["type"] = "integer"
    return schema


def enum(*values, description=None):
    schema = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return schema


NAME = string("Lower-case letters, digits, '-' and '.'.", pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", maxLength=253)
SEMVER = string(
    "A semantic version, MAJOR.MINOR.PATCH (e.g. 2.3.1).",
    pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$",
)
DURATION = string("A duration: 500ms, 30s, 5m, 1h30m, 7d.", pattern=r"^([0-9.]+(ms|s|m|h|d|w))+$")
STATUS = enum("development", "staging", "candidate", "production", "deprecated", "archived")
NON_NEGATIVE = number(0)
ANALYSIS_REF = obj({"templates": {"type": "array", "items": NAME, "minItems": 1}}, ["templates"])


def document(kind, spec, description):
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://steward.dev/schemas/{kind.lower()}.schema.json",
        "title": f"Steward {kind}",
        "description": description,
        **obj(
            {
                "apiVersion": {"const": "steward/v1"},
                "kind": {"const": kind},
                "metadata": obj(
                    {
                        "name": NAME,
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                    ["name"],
                ),
                "spec": spec,
            },
            ["apiVersion", "kind", "metadata", "spec"],
        ),
    }


model_version = obj(
    {
        "version": SEMVER,
        "baseModel": string("The base model, e.g. gpt-4.1-mini."),
        "adapter": string("A fine-tuned adapter on the base model."),
        "promptTemplate": obj({"name": NAME, "version": SEMVER}, ["name", "version"]),
        "parameters": obj(
            {
                "temperature": number(0, 2),
                "maxTokens": integer(1, 10_000_000),
                "topP": number(0, 1),
                "topK": integer(1, 1_000_000),
                "frequencyPenalty": number(-2, 2),
                "presencePenalty": number(-2, 2),
                "stop": strings(),
            }
        ),
        "status": STATUS,
        "parent": SEMVER,
        "created": string("When the version was created (ISO 8601 date)."),
        "author": string(),
        "configHash": string(),
        "baseline": obj(
            {
                "accuracy": number(0, 1),
                "latencyP50Ms": NON_NEGATIVE,
                "latencyP95Ms": NON_NEGATIVE,
                "costPerRequest": NON_NEGATIVE,
                "tokensPerRequest": NON_NEGATIVE,
                "rating": number(0, 5),
                "errorRate": number(0, 1),
                "hallucinationRate": number(0, 1),
            }
        ),
        "trainingData": obj({"dataset": string(), "hash": string(), "examples": integer(0)}, ["dataset"]),
        "compatibility": obj({"embeddingsModel": string(), "minApiVersion": string()}),
        "notes": string(),
        "rolledBack": obj(
            {"at": string("When, as an ISO 8601 time."), "reason": string("The failing metric and its evidence."),
             "commit": string("The commit that had made it the canary.")},
            ["at", "reason"],
        ) | {"description": "Written by the agent when it rolled this version back: no rollout makes it the canary again without retry: true."},
    },
    ["version", "baseModel", "status"],
)

MODEL = document(
    "Model",
    obj(
        {
            "description": string(),
            "owner": string(),
            "versions": {"type": "array", "items": model_version, "minItems": 1},
        },
        ["versions"],
    ),
    "A named model and its versions.",
)

PROMPT_TEMPLATE = document(
    "PromptTemplate",
    obj(
        {
            "versions": {
                "type": "array",
                "items": obj(
                    {
                        "version": SEMVER,
                        "template": string(),
                        "compatibleModels": strings(),
                        "incompatibleModels": strings(),
                        "embeddingsModel": string(),
                        "changeNote": string(),
                    },
                    ["version"],
                ),
            }
        },
        ["versions"],
    ),
    "Versioned prompt templates with the base models they work with.",
)

GATE = obj({"name": NAME, "url": string(pattern=r"^https?://"), "timeout": DURATION,
            "failureLimit": integer(1, 10000, "After this many noes to one question the canary is rolled back; "
                                              "without it the rollout waits for a yes.")}, ["name", "url"])
STEP = one_of_keys(
    {
        "setWeight": integer(0, 100, "Percentage of traffic to the canary."),
        "pause": obj({"duration": DURATION}, description="Without a duration, waits for a person."),
        "analysis": ANALYSIS_REF,
    }
)

ROLLOUT = document(
    "Rollout",
    obj(
        {
            "model": NAME,
            "stable": SEMVER,
            "canary": SEMVER,
            "stickyKey": string("The request attribute that buckets users.", default="user_id"),
            "rollbackMode": enum("revert", "abort"),
            "progressDeadline": DURATION,
            "progressDeadlineAbort": {"type": "boolean", "description": "At the deadline, abort instead of pausing."},
            "healthChecks": obj(
                {
                    "noTraffic": obj({"after": DURATION, "action": enum("pause", "rollback", "warn", "off")}),
                    "sampleRatio": obj({"action": enum("pause", "rollback", "warn", "off")}),
                }
            ) | {"description": "Checks of the canary's traffic, counted by the templates' ingest metrics; each off unless given."},
            "retry": {"type": "boolean", "description": "Make the canary a version the agent rolled back before; the agent clears it at the next rollback."},
            "strategy": one_of_keys(
                {
                    "canary": obj(
                        {"steps": {"type": "array", "items": STEP, "minItems": 1}, "analysis": ANALYSIS_REF,
                         "widenAfter": {"anyOf": [DURATION, {"const": "never"}],
                                        "description": "How long a step may wait for passes before the canary widens to the next weight anyway, while no critical metric fails, leans to failure or has its estimate on the bad side (default 30m; never: hold). Promotion always needs every pass."}},
                        ["steps"],
                    ),
                    "blueGreen": obj(
                        {
                            "previewAnalysis": ANALYSIS_REF,
                            "postPromotionAnalysis": ANALYSIS_REF,
                            "autoPromote": {"type": "boolean"},
                            "scaleDownDelay": DURATION,
                        }
                    ),
                    "experiment": obj(
                        {
                            "variants": {
                                "type": "array",
                                "minItems": 2,
                                "items": obj({"version": SEMVER, "weight": integer(0, 100)}, ["version", "weight"]),
                            },
                            "analysis": ANALYSIS_REF,
                            "primaryMetric": string(),
                            "minSamplesPerVariant": integer(1),
                            "confidence": number(0.5, 0.9999),
                            "sampleRatioCheck": {"type": "boolean"},
                            "onWinner": enum("promote", "report"),
                            "maxDuration": DURATION,
                        },
                        ["variants", "analysis", "primaryMetric"],
                    ),
                }
            ),
            "gates": obj(
                {
                    point: {"type": "array", "items": GATE}
                    for point in ["beforeRollout", "beforeWeightIncrease", "beforePromotion", "afterRollback"]
                }
            ),
        },
        ["model", "stable", "strategy"],
    ),
    "How traffic moves from a model's stable version to its canary.",
)

MEASURES = [
    "errorRate", "latencyP50", "latencyP95", "latencyP99", "rating", "hallucinationRate",
    "safetyViolations", "costPerRequest", "tokensPerRequest",
]
ANALYSIS_TEMPLATE = document(
    "AnalysisTemplate",
    obj(
        {
            "confidence": number(0.5, 0.999999, "A healthy canary is rolled back at most 1 - confidence of the time."),
            "passConfidence": number(0.5, 0.999999, "How sure a pass must be before traffic moves one step."),
            "metrics": {
                "type": "array",
                "minItems": 1,
                "items": obj(
                    {
                        "name": NAME,
                        "provider": one_of_keys(
                            {
                                "ingest": obj({"measure": enum(*MEASURES)}, ["measure"]),
                                "prometheus": obj(
                                    {
                                        "address": string("The Prometheus server; default: the agent's prometheus.address.", pattern=r"^https?://"),
                                        "query": string(
                                            "PromQL for one number per window; {{version}}, {{model}} and {{window}} are filled in.",
                                            pattern=r"\{\{version\}\}",
                                        ),
                                        "samples": string(
                                            "PromQL counting the requests behind each window; without it a window is one sample.",
                                            pattern=r"\{\{version\}\}",
                                        ),
                                    },
                                    ["query"],
                                ),
                                "http": obj(
                                    {
                                        "url": string(
                                            "Asked once per interval; {{version}}, {{model}} and {{window}} are filled in.",
                                            pattern=r"^https?://.*\{\{version\}\}",
                                        ),
                                        "jsonPath": string("The number in the answer, e.g. $.data.errorRate."),
                                        "samplesPath": string("The requests behind it, e.g. $.data.requests; without it one sample."),
                                    },
                                    ["url", "jsonPath"],
                                ),
                                "plugin": obj(
                                    {
                                        "name": {**NAME, "not": {"enum": ["ingest", "prometheus", "http"]},
                                                 "description": "A provider the agent was given under this name (its own code)."},
                                        "settings": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]},
                                                     "description": "Passed to the provider as written; plain values only."},
                                    },
                                    ["name"],
                                ),
                            }
                        ),
                        "failWhen": {
                            **obj({"above": number(), "below": number(), "relativeTo": enum("stable")}),
                            "oneOf": [{"required": ["above"]}, {"required": ["below"]}],
                        },
                        "minSamples": integer(1),
                        "interval": DURATION,
                        "failureLimit": integer(1, 10_000),
                        "failureCounting": enum("consecutive", "cumulative"),
                        "severity": enum("critical", "warning"),
                        "role": enum("gate", "guard", description="gate: traffic waits for a pass; guard: only rolls back."),
                    },
                    ["name", "provider", "failWhen", "severity"],
                ),
            },
        },
        ["metrics"],
    ),
    "Metrics that judge a canary and what makes each fail.",
)

RETENTION = obj({"maxAge": DURATION, "maxVersions": integer(1, 100_000)})
POLICY = document(
    "Policy",
    obj(
        {
            "models": strings(),
            "retention": obj({status: RETENTION for status in STATUS["enum"]}),
            "keepProductionVersions": integer(1, 100),
            "deprecation": obj({"noticePeriod": DURATION, "archiveAfter": DURATION}, ["noticePeriod", "archiveAfter"]),
            "budgets": {
                "type": "array",
                "items": obj(
                    {"period": enum("day", "week", "month"), "maxCost": number(0), "currency": string(),
                     "warnAt": number(0.01, 1), "action": enum("alert", "hold")},
                    ["period", "maxCost"],
                ),
            },
            "changeWindows": {
                "type": "array",
                "items": obj(
                    {
                        "days": {"type": "array", "items": enum("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                        "start": string(pattern=r"^\d\d:\d\d$"),
                        "end": string(pattern=r"^\d\d:\d\d$"),
                        "timeZone": string(),
                        "deny": {"type": "boolean", "description": "A freeze: no forward move inside it, whatever other windows allow."},
                    },
                    ["days", "start", "end"],
                ),
            },
            "allowedSigners": strings(),
        }
    ),
    "Retention, deprecation, budgets, change windows and commit signers.",
)

BEHAVIOUR_KEYS = [
    "errorRate", "latencyMs", "latencySpread", "rating", "ratingSD", "ratingShare",
    "hallucinationRate", "safetyRate", "cost", "costSD", "tokens", "tokensSD",
]
BEHAVIOUR = obj({key: number(0) for key in BEHAVIOUR_KEYS})
SCENARIO = document(
    "Scenario",
    obj(
        {
            "rollout": NAME,
            "minutes": integer(1, 100_000),
            "requestsPerMinute": number(0),
            "seed": integer(0),
            "regression": {"type": "boolean", "description": "Whether the canary is in truth a regression."},
            "stable": BEHAVIOUR,
            "canary": BEHAVIOUR,
            "events": {
                "type": "array",
                "items": obj(
                    {
                        "version": enum("stable", "canary", "both"),
                        "from": integer(0),
                        "to": integer(0),
                        "minWeight": integer(0, 100),
                        "drift": {"type": "boolean"},
                        "gap": {"type": "boolean"},
                        **{key: number(0) for key in BEHAVIOUR_KEYS},
                    },
                    ["from"],
                ),
            },
        },
        ["rollout", "minutes", "requestsPerMinute", "regression"],
    ),
    "A closed-loop simulation for steward simulate --scenario: traffic and each version's true behaviour.",
)

AGENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Steward agent config",
    "description": "The config of steward agent --config FILE.",
    **obj(
        {
            "repository": obj(
                {
                    "url": string("file://, https:// or ssh:// URL of the watched repository."),
                    "branch": string(),
                    "paths": strings(),
                    "pollInterval": DURATION,
                    "timeout": DURATION,
                    "credentials": obj(
                        {"user": string(), "tokenFile": string(), "sshKey": string(), "publicKey": string(),
                         "passphraseFile": string(), "knownHosts": string()}
                    ),
                    "commitURL": string(
                        "Where a person reads a commit, with {commit} for its id; the status page links decisions there.",
                        pattern=r"^https?://.*\{commit\}",
                    ),
                },
                ["url"],
            ),
            "identity": obj({"name": string(), "email": string()}, ["name", "email"]),
            "listen": string("host:port", pattern=r"^.+:[0-9]{1,5}$"),
            "apiTokenFile": string(),
            "readTokenFile": string(),
            "stateDirectory": string(),
            "routing": obj({"file": string()}),
            "notifications": obj(
                {
                    "urls": {"type": "array", "items": string(pattern=r"^https?://"),
                             "description": "Each rollout event is POSTed as JSON (with a Slack-compatible text field) to every URL."},
                    "timeout": DURATION,
                },
                ["urls"],
            ),
            "webhooks": obj(
                {"secretFile": string("The secret verifying POST /v1/hooks/git (GitHub, GitLab or X-Steward-Signature HMAC-SHA256).")},
                ["secretFile"],
            ),
            "signatures": obj(
                {
                    "allowedSignersFile": string("Who may sign the desired state: ssh-keygen's allowed-signers format, one 'principal key-type key' per line. "
                                                 "With it (or a Policy's allowedSigners) the agent acts only on tips whose signature verifies."),
                    "openPGPKeyring": string("Trusted OpenPGP public keys (gpg --export output) for people who sign with GnuPG; "
                                             "checked by gpgv, the principal being the email of the key's user id."),
                    "signingKey": string("The SSH private key the agent signs its own commits with (no passphrase, mode 0600)."),
                },
                [],
            ),
            "status": obj(
                {"branch": string("The branch the agent commits its status files to, apart from the watched branch "
                                  "(whose history then holds only desired-state changes); default: beside the desired state.",
                                  pattern=r"^[^-/\s~^:?*\[\\][^\s~^:?*\[\\]*$")},
                ["branch"],
            ),
            "prometheus": obj(
                {
                    "address": string("The Prometheus server metrics without an address of their own query.", pattern=r"^https?://"),
                    "bearerTokenFile": string("A file holding the bearer token for the server, read on every query."),
                    "timeout": DURATION,
                }
            ),
        },
        ["repository"],
    ),
}

if __name__ == "__main__":
    for kind, schema in [
        ("model", MODEL),
        ("prompttemplate", PROMPT_TEMPLATE),
        ("rollout", ROLLOUT),
        ("analysistemplate", ANALYSIS_TEMPLATE),
        ("policy", POLICY),
        ("scenario", SCENARIO),
        ("agent", AGENT),
    ]:
        (HERE / f"{kind}.schema.json").write_text(json.dumps(schema, indent=2) + "\n")
