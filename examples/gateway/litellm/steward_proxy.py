"""The callback instance the LiteLLM proxy loads (`litellm_settings.callbacks:
steward_proxy.outcomes` in config.yaml): the agent's address and token file
from STEWARD_AGENT_URL and STEWARD_TOKEN_FILE."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from steward_litellm import Steward  # noqa: E402

outcomes = Steward(os.environ.get("STEWARD_AGENT_URL", "http://127.0.0.1:7480"),
                   os.environ.get("STEWARD_TOKEN_FILE", "/etc/steward/api-token")).outcomes
