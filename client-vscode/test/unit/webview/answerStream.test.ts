import { describe, expect, test } from "vitest";
import { AnswerStream } from "../../../webview/answerStream";

describe("AnswerStream", () => {
  test("joins batches in seq order, content and thinking apart", () => {
    const stream = new AnswerStream();
    expect(stream.push({ seq: 0, kind: "thinking", text: "Hmm, " })).toBe(true);
    expect(stream.push({ seq: 1, kind: "thinking", text: "yes." })).toBe(true);
    expect(stream.push({ seq: 2, kind: "content", text: "Hel" })).toBe(true);
    expect(stream.push({ seq: 3, kind: "content", text: "lo" })).toBe(true);
    expect(stream.thinking).toBe("Hmm, yes.");
    expect(stream.content).toBe("Hello");
  });

  test("a batch that arrives early waits for the ones before it", () => {
    const stream = new AnswerStream();
    expect(stream.push({ seq: 1, kind: "content", text: "b" })).toBe(false);
    expect(stream.push({ seq: 2, kind: "content", text: "c" })).toBe(false);
    expect(stream.content).toBe("");
    expect(stream.push({ seq: 0, kind: "content", text: "a" })).toBe(true);
    expect(stream.content).toBe("abc");
  });

  test("duplicates are ignored", () => {
    const stream = new AnswerStream();
    stream.push({ seq: 0, kind: "content", text: "a" });
    expect(stream.push({ seq: 0, kind: "content", text: "a" })).toBe(false);
    stream.push({ seq: 2, kind: "content", text: "c" });
    expect(stream.push({ seq: 2, kind: "content", text: "c" })).toBe(false);
    stream.push({ seq: 1, kind: "content", text: "b" });
    expect(stream.content).toBe("abc");
  });

  test("reading between pushes keeps the text exact (UTF-16 pairs split across batches)", () => {
    const stream = new AnswerStream();
    const text = "naïve 😀 漢字 ".repeat(50);
    const pieces = Array.from(text.matchAll(/[\s\S]{1,3}/g), (match) => match[0]);
    pieces.forEach((piece, seq) => {
      stream.push({ seq, kind: "content", text: piece });
      if (seq % 7 === 0) expect(text.startsWith(stream.content)).toBe(true);
    });
    expect(stream.content).toBe(text);
  });
});
