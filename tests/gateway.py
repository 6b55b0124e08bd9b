"""A team's gateway for the tests: LiteLLM's proxy (the `gateway` extra) on loopback, in front of
model servers, with a master key (its admin's) and one key per user (`USER_KEYS`, checked by
tests/data/team_auth.py: LiteLLM keeps users' keys in a database, which the tests do not run).

It never touches the network: the price list it would download at start-up is read from the
package (`LITELLM_LOCAL_MODEL_COST_MAP`), telemetry is off, and any other address but loopback
goes to a proxy that does not exist, so an attempt fails at once instead of hanging.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs

from tests.support import serving

MASTER_KEY = "sk-team-gateway-master-0123456789"
#: Each user's key: what one's editor sends.
USER_KEYS = {"ada": "team-key-ada-5f2c9e", "bob": "team-key-bob-81d4a7"}


@attrs.frozen
class Gateway:
    #: What the editor's `ollama.baseUrl` is set to.
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def upstream(name: str, model: str, api_base: str) -> dict[str, object]:
    """A `model_list` entry: `name` at the gateway is `model` of the OpenAI-compatible server at
    `api_base`."""
    return {
        "model_name": name,
        "litellm_params": {"model": f"openai/{model}", "api_base": api_base, "api_key": "none"},
    }


@contextlib.contextmanager
def running_gateway(port: int, models: list[dict[str, object]], folder: Path) -> Iterator[Gateway]:
    """`litellm --config …` on 127.0.0.1:`port` serving `models`; ready when it answers."""
    config = folder / "litellm.json"  # YAML is a superset of JSON
    config.write_text(
        json.dumps(
            {
                "model_list": models,
                "general_settings": {
                    "master_key": MASTER_KEY,
                    "custom_auth": "team_auth.user_api_key_auth",
                },
                "litellm_settings": {"telemetry": False, "num_retries": 0},
            }
        )
    )
    shutil.copy(Path(__file__).parent / "data" / "team_auth.py", folder)
    environment = {
        "TEAM_KEYS": ",".join(f"{user}={key}" for user, key in USER_KEYS.items()),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    }
    log = folder / "litellm.log"
    litellm = Path(sys.executable).parent / "litellm"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(litellm), "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
             "--telemetry", "False"],
            stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, **environment}, cwd=folder,
        )  # fmt: skip
    gateway = Gateway(f"http://127.0.0.1:{port}/v1", process, log)
    with serving(process, f"http://127.0.0.1:{port}/health/liveliness", "LiteLLM", log, 180):
        yield gateway
