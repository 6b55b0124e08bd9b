import { execFileSync } from "node:child_process";
import { expect, test } from "vitest";
import { isSuitablePython, noSuitablePythonMessage } from "../../../src/pythonRequirement";

test("this machine's python3 answers the version question in a form that is understood", () => {
  const output = execFileSync("python3", ["-c", "import sys; print(*sys.version_info[:2])"], { encoding: "utf8" });
  const [major, minor] = output.trim().split(" ").map(Number);
  expect(isSuitablePython(output)).toBe(major > 3 || (major === 3 && minor >= 11));
});

test("Python 3.11 and later will do; older ones and garbage will not", () => {
  for (const version of ["3 11\n", "3 12", "3 14\r\n", "4 0"]) expect(isSuitablePython(version)).toBe(true);
  for (const version of ["3 10", "3 9\n", "2 7", "", "Python 3.12", "3"]) expect(isSuitablePython(version)).toBe(false);
});

test("with no suitable Python the message says what was found, how to fix it, and the way around it", () => {
  const message = noSuitablePythonMessage(["/usr/bin/python3 is 3.9", "/opt/py does not run"]);
  expect(message).toContain("needs Python 3.11 or later");
  expect(message).toContain("/usr/bin/python3 is 3.9; /opt/py does not run");
  expect(message).toContain("Restart Language Server");
  expect(message).toContain("ollama.server.path");
  expect(noSuitablePythonMessage([])).toContain("no python3 on PATH");
});
