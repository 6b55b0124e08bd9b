"""The one settings model, read through the one structurer: bad values are named, reported
and replaced by the current value; secrets are never shown."""

from __future__ import annotations

from ollama_lsp.server.config import Settings, parse_settings


def test_absent_keys_keep_the_base_and_sections_merge_key_by_key() -> None:
    base, _ = parse_settings({"model": "m1", "timeouts": {"idleS": 7}})
    settings, problems = parse_settings({"timeouts": {"connectS": 2}}, base)
    assert problems == []
    assert settings.model == "m1"
    assert (settings.timeouts.connect_s, settings.timeouts.idle_s) == (2.0, 7.0)


def test_each_bad_value_is_named_and_keeps_the_current_one() -> None:
    settings, problems = parse_settings(
        {
            "backend": "llama",
            "timeouts": {"idleS": "soon", "firstTokenS": 30},
            "streaming": {"flushIntervalMs": -5},
            "embedded": {"contextSize": 100},
            "chat": 3,
        }
    )
    assert settings.backend == "auto"
    assert settings.timeouts.idle_s == Settings().timeouts.idle_s
    assert settings.timeouts.first_token_s == 30.0  # the good value beside a bad one is taken
    assert settings.streaming.flush_interval_ms == 16.0
    assert settings.embedded.context_size == 4096
    assert problems == [
        "`ollama.backend` must be one of 'auto', 'ollama', 'openai', 'embedded'; keeping 'auto'.",
        "`ollama.streaming.flushIntervalMs` must be at least 0; keeping 16.0.",
        "`ollama.timeouts.idleS` must be a number; keeping 120.0.",
        "`ollama.chat` must be an object; keeping its current value.",
        "`ollama.embedded.contextSize` must be at least 256; keeping 4096.",
    ]


def test_a_bad_api_key_never_shows_the_old_or_the_new_value() -> None:
    base, _ = parse_settings({"apiKey": "sk-secret-123"})
    settings, problems = parse_settings({"apiKey": 12345}, base)
    assert settings.api_key == "sk-secret-123"
    assert problems == ["`ollama.apiKey` must be a string; keeping its current value."]
    assert "sk-secret" not in repr(settings)
    _, problems = parse_settings({"apiKey": ["sk-new-456"]}, base)
    assert problems == ["`ollama.apiKey` must be a string; keeping its current value."]


def test_settings_that_are_not_an_object_keep_the_current_values() -> None:
    settings, problems = parse_settings(["model"])
    assert settings == Settings()
    assert problems == ["`ollama` must be an object; keeping the current values."]


def test_the_backend_is_configured_with_the_settings_own_sections() -> None:
    settings, _ = parse_settings({"backend": "openai", "limits": {"maxConnections": 2}})
    config = settings.backend_config()
    assert config.base_url == "http://127.0.0.1:8080/v1"
    assert config.timeouts is settings.timeouts and config.embedded is settings.embedded
    assert config.max_connections == 2
