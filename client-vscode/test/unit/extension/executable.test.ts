import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { expect, test } from "vitest";
import { findExecutable } from "../../../src/executable";

const dir = mkdtempSync(join(tmpdir(), "ollama-exe-"));
const server = join(dir, "ollama-lsp");
writeFileSync(server, "#!/bin/sh\n");
chmodSync(server, 0o755);
const notExecutable = join(dir, "plain");
writeFileSync(notExecutable, "");

test("a name is looked up on the search path", () => {
  expect(findExecutable("ollama-lsp", ["/nonexistent", dir].join(delimiter))).toBe(server);
  expect(findExecutable("ollama-lsp", "/nonexistent")).toBeUndefined();
});

test("a path is taken as it is, relative to the working directory", () => {
  expect(findExecutable(server, "")).toBe(server);
  expect(findExecutable("./ollama-lsp", "", dir)).toBe(server);
  expect(findExecutable(join(dir, "missing"), dir)).toBeUndefined();
});

test("files that cannot be executed and directories do not count", () => {
  expect(findExecutable(notExecutable, "")).toBeUndefined();
  expect(findExecutable("plain", dir)).toBeUndefined();
  expect(findExecutable(dir, "")).toBeUndefined();
});
