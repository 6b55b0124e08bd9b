"""Fill-in-the-middle prompt templates of the common code-model families.

A server that takes a raw prompt (OpenAI-compatible `/v1/completions`) needs the prefix and the
suffix wrapped in the model's own FIM tokens; Ollama applies the model's template itself (its
`suffix` field) and a GGUF carries its FIM token ids. The preset is chosen by the model's name,
and the `completion.fimTemplate` setting overrides it: a preset name, a custom template with
`{prefix}` and `{suffix}`, or `none` (complete from the prefix alone).
"""

from __future__ import annotations

import re

import attrs

_PLACEHOLDER = re.compile(r"\{prefix\}|\{suffix\}")


@attrs.frozen
class FimTemplate:
    name: str
    #: With `{prefix}` and `{suffix}` placeholders; "" means prefix-only (no FIM).
    pattern: str
    #: Tokens after which the model's middle is over (sent as `stop`).
    stop: tuple[str, ...] = ()

    @property
    def fills_middle(self) -> bool:
        return bool(self.pattern)

    def prompt(self, prefix: str, suffix: str) -> str:
        if not self.fills_middle:
            return prefix
        # Not str.format: the code itself is full of braces.
        parts = {"{prefix}": prefix, "{suffix}": suffix}
        return _PLACEHOLDER.sub(lambda match: parts[match[0]], self.pattern)


_QWEN = "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
_QWEN_STOP = ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>")
_STARCODER = "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>"
_STARCODER_STOP = ("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>")

#: Presets, by name. Each is the format the family was trained on (its model card).
PRESETS: dict[str, FimTemplate] = {
    t.name: t
    for t in (
        FimTemplate("qwen2.5-coder", _QWEN, _QWEN_STOP),
        FimTemplate("codellama", "<PRE> {prefix} <SUF>{suffix} <MID>", ("<EOT>", "</s>")),
        # DeepSeek's tokens really are spelled with fullwidth bars and "▁".
        FimTemplate(
            "deepseek-coder",
            "<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>",  # noqa: RUF001
            ("<｜end▁of▁sentence｜>", "<|EOT|>", "<｜fim▁begin｜>"),  # noqa: RUF001
        ),
        FimTemplate("starcoder", _STARCODER, _STARCODER_STOP),
        FimTemplate(
            "codegemma",
            _QWEN,  # the same tokens
            ("<|file_separator|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<eos>"),
        ),
        FimTemplate("codestral", "[SUFFIX]{suffix}[PREFIX]{prefix}", ("</s>", "[SUFFIX]")),
        FimTemplate("none", ""),
    )
}

#: Model-name fragments (lower case) → preset, first match wins.
_FAMILIES = (
    ("qwen", "qwen2.5-coder"),
    ("codellama", "codellama"),
    ("code-llama", "codellama"),
    ("deepseek-coder", "deepseek-coder"),
    ("codegemma", "codegemma"),
    ("codestral", "codestral"),
    ("starcoder", "starcoder"),
    ("stable-code", "starcoder"),
    ("granite-code", "starcoder"),
)


class UnknownTemplate(ValueError):
    """The model's family is not known and no template was set."""


def template_for(model: str, setting: str = "") -> FimTemplate:
    """The template to use: `setting` (preset name, custom pattern or `none`) when set, else
    the preset of the model's family; `UnknownTemplate` when neither says."""
    if setting:
        if setting in PRESETS:
            return PRESETS[setting]
        if "{prefix}" not in setting:
            raise UnknownTemplate(
                f"`ollama.completion.fimTemplate` {setting!r} is neither a preset "
                f"({', '.join(PRESETS)}) nor a template with {{prefix}} and {{suffix}}."
            )
        return FimTemplate("custom", setting)
    name = model.lower()
    for fragment, preset in _FAMILIES:
        if fragment in name:
            return PRESETS[preset]
    raise UnknownTemplate(
        f"No fill-in-the-middle template is known for model '{model}': set "
        f"`ollama.completion.fimTemplate` to one of {', '.join(PRESETS)} (or a template with "
        "{prefix} and {suffix}), or choose a code model such as qwen2.5-coder."
    )
