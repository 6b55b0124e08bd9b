// Model output → safe HTML: markdown-it (raw HTML off) with highlight.js for code blocks, then
// DOMPurify, so neither `<img onerror>` nor `javascript:` links can survive into the page.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/common";
import { tableAlignmentAsClass } from "./tableAlignment";
import MarkdownIt from "markdown-it";

function highlight(code: string, language: string): string {
  const known = language && hljs.getLanguage(language) ? language : undefined;
  try {
    const result = known ? hljs.highlight(code, { language: known, ignoreIllegals: true }) : hljs.highlightAuto(code);
    return `<pre class="hljs"><code class="language-${known ?? result.language ?? "plaintext"}">${result.value}</code></pre>`;
  } catch {
    return ""; // markdown-it then escapes the code itself
  }
}

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: false, highlight });

markdown.use(tableAlignmentAsClass);

const purifyConfig = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
  FORBID_ATTR: ["style"],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
};

/** Sanitized HTML for Markdown text (an unfinished answer renders as far as it goes). */
export function renderMarkdown(text: string): string {
  return DOMPurify.sanitize(markdown.render(text), purifyConfig);
}
