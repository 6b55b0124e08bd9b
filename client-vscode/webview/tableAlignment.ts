// GFM table alignment (`:---:`, `---:`) as classes: markdown-it writes it as a style attribute,
// which the sanitizer removes (no model output may style the page).
import type MarkdownIt from "markdown-it";

export function tableAlignmentAsClass(markdown: MarkdownIt): void {
  markdown.core.ruler.push("table_alignment_class", (state) => {
    for (const token of state.tokens) {
      if (token.type !== "th_open" && token.type !== "td_open") continue;
      const align = /text-align:(left|center|right)/.exec(token.attrGet("style") ?? "")?.[1];
      if (!align) continue;
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== "style");
      token.attrJoin("class", `align-${align}`);
    }
  });
}
