// Model output → safe HTML: markdown-it (raw HTML off) with highlight.js for code blocks, then
// DOMPurify, so neither `<img onerror>` nor `javascript:` links can survive into the page.
// A code block is `<pre><code class="language-X">` when its fence names a language, else
// `<pre><code>`; only a language highlight.js knows is highlighted. An untagged block stays plain
// text: guessing (`highlightAuto`) is slow and often wrong (a shell transcript came out as Ruby).
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";
import { tableAlignmentAsClass } from "./tableAlignment";
import MarkdownIt from "markdown-it";
import type Token from "markdown-it/lib/token.mjs";

export type { Token };

/** markdown-it's environment: the reference definitions (`[x]: url`) seen so far. */
export interface MarkdownEnv {
  references?: Record<string, unknown>;
}

function highlight(code: string, language: string): string {
  if (!language || !hljs.getLanguage(language)) return ""; // markdown-it escapes it: plain text
  try {
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  } catch {
    return "";
  }
}

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: false, highlight });
/** For a block still being written: its code is highlighted once, when it is finished. */
const plainCodeOptions = { ...markdown.options, highlight: null };

markdown.use(tableAlignmentAsClass);

const purifyConfig = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
  FORBID_ATTR: ["style"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
};

/** markdown-it's block tokens (each top-level block's source lines are in its `map`). */
export function parseMarkdown(text: string, env: MarkdownEnv): Token[] {
  return markdown.parse(text, env);
}

/** Sanitized HTML for parsed tokens; `highlightCode` false renders code blocks as plain text. */
export function renderTokens(tokens: Token[], env: MarkdownEnv, highlightCode: boolean): string {
  return DOMPurify.sanitize(markdown.renderer.render(tokens, highlightCode ? markdown.options : plainCodeOptions, env), purifyConfig);
}

/** Sanitized HTML for Markdown text (an unfinished answer renders as far as it goes). */
export function renderMarkdown(text: string, env: MarkdownEnv = {}): string {
  return renderTokens(parseMarkdown(text, env), env, true);
}
