"""Inline code generation: a LangGraph plan → code → review → revise workflow.

LangGraph takes about a second to import, so `graph` is loaded on first use, in a worker
thread: the event loop keeps streaming meanwhile, and starting the server never pays for it.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from ollama_lsp.agents.backends.base import ModelBackend

from .cleaning import NoCodeError, fit_code
from .job import CodegenJob, Stage, TokenBudgets, surrounding_code

StreamCodegen = Callable[[ModelBackend, CodegenJob], AsyncIterator[tuple[str, Any]]]

_loaded: StreamCodegen | None = None


async def load_workflow() -> StreamCodegen:
    """`graph.stream_codegen`, importing LangGraph off the event loop the first time.

    Concurrent first calls are safe: Python's import lock makes the later ones wait.
    """
    global _loaded
    if _loaded is None:
        module = await asyncio.to_thread(importlib.import_module, "ollama_lsp.agents.codegen.graph")
        _loaded = module.stream_codegen
    return _loaded


__all__ = [
    "CodegenJob",
    "NoCodeError",
    "Stage",
    "StreamCodegen",
    "TokenBudgets",
    "fit_code",
    "load_workflow",
    "surrounding_code",
]
