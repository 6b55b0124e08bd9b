import { expect, test } from "vitest";
import { languageIdFor } from "../../../src/chat/languageId";

const KNOWN = ["python", "typescript", "shellscript", "plaintext", "rust", "go"];

test("a fence's tag becomes VS Code's language id, aliases included", () => {
  expect(languageIdFor("python", KNOWN)).toBe("python");
  expect(languageIdFor("py", KNOWN)).toBe("python");
  expect(languageIdFor("TS", KNOWN)).toBe("typescript");
  expect(languageIdFor("bash", KNOWN)).toBe("shellscript");
  expect(languageIdFor("golang", KNOWN)).toBe("go");
});

test("no tag, or a language VS Code does not know, is plain text", () => {
  expect(languageIdFor(undefined, KNOWN)).toBe("plaintext");
  expect(languageIdFor("", KNOWN)).toBe("plaintext");
  expect(languageIdFor("brainfuck", KNOWN)).toBe("plaintext");
  expect(languageIdFor("jsx", KNOWN)).toBe("plaintext");
});
