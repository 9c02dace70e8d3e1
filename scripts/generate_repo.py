#!/usr/bin/env python3
"""Writes a large, valid desired-state repository for benchmarks.

Usage: generate_repo.py OUT [MODELS] [VERSIONS] [ROLLOUTS]
Defaults: 1,000 models x 10 versions and 1,000 rollouts, one file per model
and per rollout, plus a shared prompt template and analysis template.
"""
import pathlib
import sys


def main(out, models=1000, versions=10, rollouts=1000):
    root = pathlib.Path(out)
    for folder in ("models", "rollouts", "shared"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "shared" / "prompt.yaml").write_text(
        "apiVersion: steward/v1\nkind: PromptTemplate\nmetadata: {name: prompt}\nspec:\n  versions:\n"
        "    - {version: 1.0.0, compatibleModels: [base-a, base-b], embeddingsModel: emb-1}\n"
    )
    (root / "shared" / "analysis.yaml").write_text(
        "apiVersion: steward/v1\nkind: AnalysisTemplate\nmetadata: {name: checks}\nspec:\n  metrics:\n"
        "    - {name: error-rate, provider: {ingest: {measure: errorRate}}, failWhen: {above: 0.05}, severity: critical}\n"
        "    - {name: latency, provider: {ingest: {measure: latencyP95}}, failWhen: {above: 1.5, relativeTo: stable}, severity: critical}\n"
    )
    for m in range(models):
        lines = [
            "apiVersion: steward/v1", "kind: Model", f"metadata: {{name: model-{m}}}", "spec:",
            f"  owner: team-{m % 17}@example.com", "  versions:",
        ]
        for v in range(versions):
            status = "production" if v == versions - 2 else ("candidate" if v == versions - 1 else "deprecated")
            lines += [
                f"    - version: 1.{v}.0",
                f"      baseModel: base-{'a' if v % 2 else 'b'}",
                "      promptTemplate: {name: prompt, version: 1.0.0}",
                "      parameters: {temperature: 0.3, maxTokens: 1024, topP: 0.95}",
                f"      status: {status}",
                *([f"      parent: 1.{v - 1}.0"] if v else []),
                "      baseline: {accuracy: 0.9, latencyP95Ms: 900, costPerRequest: 0.001}",
                "      compatibility: {embeddingsModel: emb-1}",
            ]
        (root / "models" / f"model-{m}.yaml").write_text("\n".join(lines) + "\n")
    for r in range(rollouts):
        m = r % models
        (root / "rollouts" / f"rollout-{r}.yaml").write_text(
            f"apiVersion: steward/v1\nkind: Rollout\nmetadata: {{name: rollout-{r}}}\nspec:\n"
            f"  model: model-{m}\n  stable: 1.{versions - 2}.0\n  canary: 1.{versions - 1}.0\n"
            "  strategy:\n    canary:\n      steps:\n"
            "        - setWeight: 5\n        - pause: {duration: 30m}\n        - analysis: {templates: [checks]}\n"
            "        - setWeight: 15\n        - setWeight: 35\n        - setWeight: 100\n"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    main(args[0], *map(int, args[1:]))
