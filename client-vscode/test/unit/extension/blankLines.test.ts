import { describe, expect, test } from "vitest";
import { spaceBlankLines } from "../../../src/codegen/blankLines";
import type { TextChange } from "../../../src/codegen/textGeometry";

/** The document after `change`, spaced. */
function apply(document: string, change: TextChange, languageId = "python"): string {
  const spaced = spaceBlankLines(document, change, languageId);
  const offset = ({ line, character }: { line: number; character: number }): number => {
    const starts = [0];
    for (const match of document.matchAll(/\r\n|\r|\n/g)) starts.push(match.index + match[0].length);
    return starts[line] + character;
  };
  return document.slice(0, offset(spaced.range.start)) + spaced.text + document.slice(offset(spaced.range.end));
}

function at(line: number, character = 0): { line: number; character: number } {
  return { line, character };
}

function insert(line: number, text: string, character = 0): TextChange {
  return { range: { start: at(line, character), end: at(line, character) }, text };
}

const GREET = 'def greet(name):\n    return f"Hello, {name}!"';

describe("Python: PEP 8", () => {
  test("a top-level def on the blank line between an import and a def gets two blank lines each side", () => {
    const document = "import os\n\n\ndef main():\n    pass\n";
    expect(apply(document, insert(1, GREET))).toBe(`import os\n\n\n${GREET}\n\n\ndef main():\n    pass\n`);
  });

  test("a def inserted right at the next def's line is not glued to it", () => {
    const document = "def a():\n    pass\n\n\ndef b():\n    pass\n";
    expect(apply(document, insert(4, `${GREET}\n`))).toBe(`def a():\n    pass\n\n\n${GREET}\n\n\ndef b():\n    pass\n`);
  });

  test("surplus blank lines around a top-level def shrink to two", () => {
    const document = "x = 1\n\n\n\n\n\ny = 2\n";
    expect(apply(document, insert(3, GREET))).toBe(`x = 1\n\n\n${GREET}\n\n\ny = 2\n`);
  });

  test("a method gets one blank line each side, none below the class line", () => {
    const document = "class A:\n    def a(self):\n        pass\n    def c(self):\n        pass\n";
    const method = "    def b(self):\n        return 1\n";
    expect(apply(document, insert(3, method))).toBe("class A:\n    def a(self):\n        pass\n\n    def b(self):\n        return 1\n\n    def c(self):\n        pass\n");
    expect(apply(document, insert(1, method))).toBe("class A:\n    def b(self):\n        return 1\n\n    def a(self):\n        pass\n    def c(self):\n        pass\n");
  });

  test("the last method of a class followed by a top-level def: two blank lines before the def", () => {
    const document = "class A:\n    def a(self):\n        pass\ndef f():\n    pass\n";
    const method = "    def b(self):\n        return 1\n";
    expect(apply(document, insert(3, method))).toBe("class A:\n    def a(self):\n        pass\n\n    def b(self):\n        return 1\n\n\ndef f():\n    pass\n");
  });

  test("statements among statements keep the blank lines they had", () => {
    const document = "a = 1\n\nb = 2\nc = 3\n";
    expect(apply(document, insert(3, "x = 0\ny = 0\n"))).toBe("a = 1\n\nb = 2\nx = 0\ny = 0\nc = 3\n");
  });

  test("a statement before a def gets two blank lines before the def", () => {
    const document = "import os\n\n\ndef main():\n    pass\n";
    expect(apply(document, insert(1, "TIMEOUT = 5"))).toBe("import os\nTIMEOUT = 5\n\n\ndef main():\n    pass\n");
  });

  test("a comment above a def belongs to the def", () => {
    const document = "import os\n# the entry point\ndef main():\n    pass\n";
    expect(apply(document, insert(1, `${GREET}\n`))).toBe(`import os\n\n\n${GREET}\n\n\n# the entry point\ndef main():\n    pass\n`);
  });

  test("a comment right above the code stays with it", () => {
    const document = "import os\n\n\n# helpers\n\ndef main():\n    pass\n";
    expect(apply(document, insert(4, GREET))).toBe(`import os\n\n\n# helpers\n${GREET}\n\n\ndef main():\n    pass\n`);
  });

  test("a replaced selection of whole lines", () => {
    const document = "import os\n\n\ndef main():\n    pass\n";
    const change = { range: { start: at(3), end: at(5) }, text: 'def main():\n    print("main")\n' };
    expect(apply(document, change)).toBe('import os\n\n\ndef main():\n    print("main")\n');
  });

  test("at the end of the file: no blank line after, the final line break kept", () => {
    expect(apply("import os\n", insert(1, GREET))).toBe(`import os\n\n\n${GREET}\n`);
    expect(apply("import os\n\n\n\n", insert(2, GREET))).toBe(`import os\n\n\n${GREET}\n`);
  });

  test("at the end of a file without a final line break", () => {
    expect(apply("import os", insert(0, `\n${GREET}`, 9))).toBe(`import os\n\n\n${GREET}`);
  });

  test("at the top of the file: no blank line above", () => {
    expect(apply("\n\ndef main():\n    pass\n", insert(0, GREET))).toBe(`${GREET}\n\n\ndef main():\n    pass\n`);
  });

  test("CRLF stays CRLF", () => {
    const document = "import os\r\n\r\n\r\ndef main():\r\n    pass\r\n";
    const greet = GREET.replace(/\n/g, "\r\n");
    expect(apply(document, insert(1, greet))).toBe(`import os\r\n\r\n\r\n${greet}\r\n\r\n\r\ndef main():\r\n    pass\r\n`);
  });
});

describe("other languages: the file's own spacing between blocks", () => {
  const TS = "function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n";
  const FN = "function c() {\n  return 3;\n}\n";

  test("one blank line where the file puts one", () => {
    expect(apply(TS, insert(4, FN), "typescript")).toBe("function a() {\n  return 1;\n}\n\nfunction c() {\n  return 3;\n}\n\nfunction b() {\n  return 2;\n}\n");
  });

  test("two blank lines where the file puts two", () => {
    const spaced = TS.replace("}\n\n", "}\n\n\n");
    expect(apply(spaced, insert(3, FN), "typescript")).toBe("function a() {\n  return 1;\n}\n\n\nfunction c() {\n  return 3;\n}\n\n\nfunction b() {\n  return 2;\n}\n");
  });

  test("a block inside a block: no blank line before the closing brace, the file's spacing elsewhere", () => {
    const document = "class K {\n  a() {\n    return 1;\n  }\n}\n";
    const method = "  b() {\n    return 2;\n  }\n";
    expect(apply(document, insert(4, method), "typescript")).toBe("class K {\n  a() {\n    return 1;\n  }\n\n  b() {\n    return 2;\n  }\n}\n");
  });

  test("a comment right above the code stays with it", () => {
    expect(apply("const a = 1;\n\n// helpers\n", insert(3, FN), "typescript")).toBe(`const a = 1;\n\n// helpers\n${FN}`);
  });

  test("a one-line statement among statements keeps what was there", () => {
    const document = "const a = 1;\nconst b = 2;\n";
    expect(apply(document, insert(1, "const x = 0;\n"), "typescript")).toBe("const a = 1;\nconst x = 0;\nconst b = 2;\n");
  });
});

test("code that shares its line with other text is left as it is", () => {
  const change = insert(0, "bar", 4);
  expect(spaceBlankLines("foo(baz)\n", change, "python")).toEqual({ ...change, codeLines: { first: 0, last: 0 } });
});

test("where the code is in the spaced text: not the blank lines, not the next def's line", () => {
  const document = "def a():\n    pass\ndef b():\n    pass\n";
  const spaced = spaceBlankLines(document, insert(2, `${GREET}\n`), "python");
  expect(spaced.text.split("\n").slice(spaced.codeLines.first, spaced.codeLines.last + 1).join("\n")).toBe(GREET);
  expect(spaced.range.start.line + spaced.codeLines.first).toBe(4);
});
