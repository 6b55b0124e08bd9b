import { expect, test } from "vitest";
import { describeCutShort } from "../../../src/codegen/cutShort";

const BUDGET = "The code reached its budget of 8 tokens and may be incomplete: raise `ollama.codegen.maxTokens.code` (or `options.numPredict`).";
const LOOP = "The model began repeating itself in the revision 1; the repeats were cut off.";

test("nothing is said when every stage ended", () => {
  expect(describeCutShort([])).toBeUndefined();
});

test("a budget reached: the note in full, settings without backticks, and the setting to open", () => {
  expect(describeCutShort([BUDGET])).toEqual({
    message: "Ollama: check the generated code before accepting it. The code reached its budget of 8 tokens and may be incomplete: raise ollama.codegen.maxTokens.code (or options.numPredict).",
    tooltip: "The code reached its budget of 8 tokens and may be incomplete: raise ollama.codegen.maxTokens.code (or options.numPredict).",
    setting: "ollama.codegen.maxTokens.code",
  });
});

test("several notes: each one is said, a line each in the hover; a repeat names no setting", () => {
  const cut = describeCutShort([LOOP, BUDGET]);
  expect(cut?.message).toContain(`${LOOP} The code reached`);
  expect(cut?.tooltip.split("\n")).toHaveLength(2);
  expect(cut?.setting).toBe("ollama.codegen.maxTokens.code");
  expect(describeCutShort([LOOP])?.setting).toBeUndefined();
});
