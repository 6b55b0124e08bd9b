// The language server's wheel into bundled/, for the .vsix (src/serverInstall.ts installs it on
// first use). Built with the repository's .venv (scripts/bootstrap.sh makes it), as a release is.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const extensionRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = resolve(extensionRoot, "..");
const bundled = join(extensionRoot, "bundled");
rmSync(bundled, { recursive: true, force: true });
const wheel = execFileSync(join(repoRoot, ".venv/bin/python"), [join(repoRoot, "scripts/wheelhouse.py"), "wheel", bundled], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
}).trim();
console.log(`bundled ${wheel}`);
