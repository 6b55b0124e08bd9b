import { describe, expect, test } from "vitest";
import { endOfInsertedText, firstNonBlankLine, lastNonBlankLine, shiftedBy } from "../../../src/codegen/textGeometry";

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

describe("shiftedBy: a position after an edit", () => {
  const at = (line: number, character: number) => ({ line, character });
  const change = (start: [number, number], end: [number, number], text: string) => ({ range: { start: at(...start), end: at(...end) }, text });

  test("lines inserted above move it down", () => {
    expect(shiftedBy(at(10, 4), change([2, 0], [2, 0], "a\nb\n"))).toEqual(at(12, 4));
  });

  test("lines deleted above move it up", () => {
    expect(shiftedBy(at(10, 4), change([2, 0], [5, 0], ""))).toEqual(at(7, 4));
  });

  test("typing earlier on its line moves it right", () => {
    expect(shiftedBy(at(3, 8), change([3, 2], [3, 2], "xyz"))).toEqual(at(3, 11));
  });

  test("an edit ending on its line that spans lines", () => {
    // Lines 1..3 up to 3:5 replaced by "p\nqq": the position at 3:8 follows "qq".
    expect(shiftedBy(at(3, 8), change([1, 2], [3, 5], "p\nqq"))).toEqual(at(2, 5));
  });

  test("an insertion right at it pushes it along", () => {
    expect(shiftedBy(at(3, 8), change([3, 8], [3, 8], "\n"))).toEqual(at(4, 0));
  });
});

test.each([
  ["", 0, 0],
  ["a", 0, 0],
  ["\n\n  x\r\ny\n\n", 2, 3],
  ["\n \n", 0, 0],
])("the lines of %j that are not blank: %i to %i", (text, first, last) => {
  expect(firstNonBlankLine(text)).toBe(first);
  expect(lastNonBlankLine(text)).toBe(last);
});
