import { expect, test } from "vitest";
import { endOfInsertedText } from "../../../src/codegen/textGeometry";

test.each([
  ["", { line: 3, character: 4 }],
  ["abc", { line: 3, character: 7 }],
  ["a\nbc", { line: 4, character: 2 }],
  ["a\r\nbc\r\n", { line: 5, character: 0 }],
  ["a\rb", { line: 4, character: 1 }],
  ["😀\n漢字", { line: 4, character: 2 }],
])("inserting %j at 3:4", (text, end) => {
  expect(endOfInsertedText({ line: 3, character: 4 }, text)).toEqual(end);
});
