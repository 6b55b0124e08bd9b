"""The embedded model through the LSP server vs. the engine alone: first-token time and tokens/s.

Both sides run the same messages (the server's default system prompt and a question, a
different one each run, so the engine cannot reuse a cached prompt beyond the system prompt)
with the same options (temperature 0, fixed seed, bounded length), warm (model loaded), one at
a time. "Engine alone" is llama-cpp-python's stream in this process; "through LSP" is the
`ollama.chat` request → the first `ollama/token` notification parsed by a raw client, and
tokens per second between the first and the last notification (flushIntervalMs 0: a
notification per token).

    python -m bench.embedded [--samples 5] [--tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from bench.rawclient import RawLspClient
from ollama_lsp.agents.backends.base import EmbeddedConfig
from ollama_lsp.agents.backends.embedded import llama_options, model_path
from ollama_lsp.server.config import ChatSettings

QUESTIONS = (
    "explain this regex: ^a+b?$",
    "What does `git rebase -i` do?",
    "Why is my Python list comprehension slow?",
    "Explain the difference between a process and a thread.",
    "How do I reverse a linked list in C?",
    "What is a closure in JavaScript?",
    "When should I use a dataclass instead of a dict?",
    "What does HTTP status 409 mean?",
    "How does a B-tree index speed up queries?",
    "Explain Rust's borrow checker in two sentences.",
    "What is the CAP theorem?",
)


def question(n: int) -> str:
    return QUESTIONS[n % len(QUESTIONS)]


class EngineAlone:
    """llama-cpp-python's stream in this process, loaded as the embedded backend loads it."""

    def __init__(self, options: dict[str, Any]) -> None:
        from llama_cpp import Llama

        config = EmbeddedConfig()
        self.options = llama_options(options)
        self.llama = Llama(
            model_path=str(model_path(config)),
            n_ctx=config.context_size,
            n_threads=config.threads,
            n_threads_batch=config.threads,
            verbose=False,
        )
        self.llama.chat_format = "chat_template.default"

    def run(self, n: int) -> tuple[float, float]:
        messages = [
            {"role": "system", "content": ChatSettings().system_prompt},
            {"role": "user", "content": question(n)},
        ]
        started = time.perf_counter()
        chunks: Any = self.llama.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            **self.options,
        )
        stamps = [time.perf_counter() for c in chunks if c["choices"][0]["delta"].get("content")]
        return _figures(started, stamps)


class ThroughLsp:
    """`ollama.chat` on the embedded backend, timed by a raw LSP client."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.stamps: dict[str, list[float]] = {}
        self.client = RawLspClient(self._on_notification)

    def _on_notification(self, method: str, params: Any, at: float) -> None:
        if method == "ollama/token":
            self.stamps.setdefault(params["token"], []).append(at)

    async def run(self, n: int) -> tuple[float, float]:
        token = f"run-{n}"
        started = time.perf_counter()
        _, done = self.client.command(
            "ollama.chat", {"prompt": question(n), "options": self.options}, token=token
        )
        response = await done
        assert response.result is not None, response.message
        return _figures(started, self.stamps[token])


async def measure(samples: int, options: dict[str, Any]) -> dict[str, list[tuple[float, float]]]:
    """Runs alternate between the two sides, so a busy moment of the machine hits both alike."""
    engine, lsp = EngineAlone(options), ThroughLsp(options)
    await lsp.client.start({"backend": "embedded", "streaming": {"flushIntervalMs": 0}})
    runs: dict[str, list[tuple[float, float]]] = {"engine alone": [], "through LSP": []}
    try:
        for n in range(samples + 1):  # run 0 warms up (and loads the server's model)
            alone, served = engine.run(n), await lsp.run(n)
            if n:
                runs["engine alone"].append(alone)
                runs["through LSP"].append(served)
    finally:
        await lsp.client.stop()
        engine.llama.close()
    return runs


def _figures(started: float, stamps: list[float]) -> tuple[float, float]:
    first, last = stamps[0], stamps[-1]
    return first - started, (len(stamps) - 1) / (last - first)


def _summary(name: str, runs: list[tuple[float, float]]) -> str:
    first_ms = [r[0] * 1000 for r in runs]
    rates = [r[1] for r in runs]
    return (
        f"{name:<14} first token median {statistics.median(first_ms):6.1f} ms "
        f"(min {min(first_ms):.1f}, max {max(first_ms):.1f}); "
        f"{statistics.median(rates):5.1f} tokens/s (min {min(rates):.1f}, max {max(rates):.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=len(QUESTIONS) - 1)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    options = {"temperature": 0, "seed": 7, "numPredict": args.tokens}
    runs = asyncio.run(measure(args.samples, options))
    print(f"SmolLM2-135M-Instruct Q4_1, {EmbeddedConfig().threads} threads, {args.samples} runs")
    for name, figures in runs.items():
        print(_summary(name, figures))


if __name__ == "__main__":
    main()
