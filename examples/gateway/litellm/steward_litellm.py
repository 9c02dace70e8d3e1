"""Steward for LiteLLM's Router and proxy: a routing strategy that sends each
user to the version Steward's routing table gives them, sticky as the canary's
weight grows, and a callback that reports every success and failure to the
agent as an outcome. Standard library and LiteLLM only.

Each deployment of a model names the version it serves in its `model_info`:

    model_list:
      - model_name: customer-support-agent            # the Steward Model
        litellm_params: {model: openai/gpt-4.1-mini, api_base: ...}
        model_info: {steward_version: 2.3.1}          # list the stable first
      - model_name: customer-support-agent
        litellm_params: {model: openai/gpt-4.1, api_base: ...}
        model_info: {steward_version: 2.4.0}

    steward = Steward(agent="http://127.0.0.1:7480", token_file="/etc/steward/api-token")
    steward.attach(router)       # the strategy and the callback

The table is long-polled from the agent's `/v1/routes` (the last good one is
kept while the agent is away; before the first, the first deployment listed
serves). Outcomes are batched off the request path and posted to
`/v1/outcomes`, bounded: when the agent is away they are dropped and
counted, never waited for. The bucketing is the reference gateway's
(`../steward_gateway.py`, Steward's published algorithm with its test vectors).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from steward_gateway import Agent  # noqa: E402  (the reference gateway's client of the agent)

from litellm.integrations.custom_logger import CustomLogger  # noqa: E402
from litellm.types.router import CustomRoutingStrategyBase  # noqa: E402

VERSION = "steward_version"


class StewardRouting(CustomRoutingStrategyBase):
    """Picks the deployment whose `model_info.steward_version` Steward's table gives this request's key."""

    def __init__(self, router, agent, sticky_key="user"):
        self.router, self.agent, self.sticky_key = router, agent, sticky_key

    def key(self, request_kwargs):
        """The sticky key: the request's `user`, or `metadata[sticky_key]`."""
        kwargs = request_kwargs or {}
        metadata = kwargs.get("metadata") or {}
        return kwargs.get(self.sticky_key) or metadata.get(self.sticky_key) or kwargs.get("user")

    def pick(self, model, request_kwargs):
        deployments = [d for d in self.router.model_list if d.get("model_name") == model]
        if not deployments:
            return None
        table = self.agent.table
        version = table.route(model, self.key(request_kwargs)) if table is not None else None
        for deployment in deployments:
            if str((deployment.get("model_info") or {}).get(VERSION)) == version:
                return deployment
        return deployments[0]

    async def async_get_available_deployment(self, model, messages=None, input=None, specific_deployment=False, request_kwargs=None):
        return self.pick(model, request_kwargs)

    def get_available_deployment(self, model, messages=None, input=None, specific_deployment=False, request_kwargs=None):
        return self.pick(model, request_kwargs)


class StewardOutcomes(CustomLogger):
    """Each LiteLLM success and failure of a Steward-versioned deployment, as an outcome."""

    def __init__(self, agent):
        super().__init__()
        self.agent = agent

    def outcome(self, kwargs, response, start_time, end_time, ok):
        params = kwargs.get("litellm_params") or {}
        metadata = params.get("metadata") or {}
        version = (params.get("model_info") or {}).get(VERSION)
        model = metadata.get("model_group") or kwargs.get("model_group")
        if not version or not model:
            return None
        outcome = {"model": model, "version": str(version), "time": end_time.timestamp(),
                   "latencyMs": max(0.0, (end_time - start_time).total_seconds() * 1000), "ok": ok}
        usage = getattr(response, "usage", None) if response is not None else None
        if usage is not None:
            outcome["inputTokens"] = getattr(usage, "prompt_tokens", None) or 0
            outcome["outputTokens"] = getattr(usage, "completion_tokens", None) or 0
        if isinstance(kwargs.get("response_cost"), (int, float)):
            outcome["cost"] = float(kwargs["response_cost"])
        # What the application knows about the answer, if it says (metadata={"steward_rating": 4, ...}).
        for field, key in (("rating", "steward_rating"), ("hallucination", "steward_hallucination"),
                           ("safetyViolation", "steward_safety_violation")):
            if key in metadata:
                outcome[field] = metadata[key]
        self.agent.record(outcome)
        return outcome

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.outcome(kwargs, response_obj, start_time, end_time, True)

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self.outcome(kwargs, response_obj, start_time, end_time, False)

    def log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.outcome(kwargs, response_obj, start_time, end_time, True)

    def log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self.outcome(kwargs, response_obj, start_time, end_time, False)


class Steward:
    """The agent's client, the strategy and the callback, attached to a Router."""

    def __init__(self, agent, token_file, sticky_key="user"):
        with open(token_file, encoding="utf-8") as f:
            self.agent = Agent(agent, f.read().strip())
        self.sticky_key = sticky_key
        self.outcomes = StewardOutcomes(self.agent)
        self.agent.start()

    def attach(self, router, wait=5.0):
        import litellm
        self.routing = StewardRouting(router, self.agent, self.sticky_key)
        router.set_custom_routing_strategy(self.routing)
        litellm.callbacks = [c for c in litellm.callbacks if not isinstance(c, StewardOutcomes)] + [self.outcomes]
        self.agent.ready.wait(wait)
        return self
