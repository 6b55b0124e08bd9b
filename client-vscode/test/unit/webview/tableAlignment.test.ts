// @vitest-environment jsdom
import { expect, test } from "vitest";
import { renderMarkdown } from "../../../webview/markdown";

test("table alignment survives sanitizing, as classes (no style attribute reaches the page)", () => {
  const body = document.createElement("div");
  body.innerHTML = renderMarkdown("| Name | Speed | Size |\n|:---|:---:|---:|\n| a | fast | 1 |\n");
  const cells = Array.from(body.querySelectorAll("tr:first-child th, tbody td"), (cell) => cell.className);
  expect(cells).toEqual(["align-left", "align-center", "align-right", "align-left", "align-center", "align-right"]);
  expect(body.querySelector("[style]")).toBeNull();
});
