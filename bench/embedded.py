"""The embedded model through the LSP server vs. the engine alone: first-token time and tokens/s.

Both sides run the same messages (the server's default system prompt and the question) with
the same options (temperature 0, fixed seed, bounded length), warm (model loaded), one at a
time. "Engine alone" is llama-cpp-python's stream in this process; "through LSP" is the
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

from agents.backends.base import EmbeddedConfig
from agents.backends.embedded import llama_options, model_path
from bench.rawclient import RawLspClient
from server.config import ChatSettings

QUESTION = "explain this regex: ^a+b?$"


def engine_alone(samples: int, options: dict[str, Any]) -> list[tuple[float, float]]:
    """(first-token seconds, tokens/s) per sample, straight from llama-cpp-python."""
    from llama_cpp import Llama

    config = EmbeddedConfig()
    llama = Llama(
        model_path=str(model_path(config)),
        n_ctx=config.context_size,
        n_threads=config.threads,
        n_threads_batch=config.threads,
        verbose=False,
    )
    llama.chat_format = "chat_template.default"
    messages = [
        {"role": "system", "content": ChatSettings().system_prompt},
        {"role": "user", "content": QUESTION},
    ]
    runs = []
    for n in range(samples + 1):  # the first run warms up
        started = time.perf_counter()
        chunks: Any = llama.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            **llama_options(options),
        )
        stamps = [time.perf_counter() for c in chunks if c["choices"][0]["delta"].get("content")]
        if n:
            runs.append(_figures(started, stamps))
    llama.close()
    return runs


async def through_lsp(samples: int, options: dict[str, Any]) -> list[tuple[float, float]]:
    stamps: dict[str, list[float]] = {}

    def on_notification(method: str, params: Any, at: float) -> None:
        if method == "ollama/token":
            stamps.setdefault(params["token"], []).append(at)

    client = RawLspClient(on_notification)
    await client.start({"backend": "embedded", "streaming": {"flushIntervalMs": 0}})
    runs = []
    try:
        for n in range(samples + 1):
            token = f"run-{n}"
            argument = {"prompt": QUESTION, "options": options}
            started = time.perf_counter()
            _, done = client.command("ollama.chat", argument, token=token)
            response = await done
            assert response.result is not None, response.message
            if n:
                runs.append(_figures(started, stamps[token]))
    finally:
        await client.stop()
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
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    options = {"temperature": 0, "seed": 7, "numPredict": args.tokens}
    alone = engine_alone(args.samples, options)
    served = asyncio.run(through_lsp(args.samples, options))
    print(f"SmolLM2-135M-Instruct Q4_1, {EmbeddedConfig().threads} threads, {args.samples} runs")
    print(_summary("engine alone", alone))
    print(_summary("through LSP", served))


if __name__ == "__main__":
    main()
