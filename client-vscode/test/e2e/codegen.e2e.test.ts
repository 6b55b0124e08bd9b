// Inline generation in a real VS Code: the code streams into the editor as a preview while the
// progress notification shows the stage, is applied as one undo step, and cancelling restores
// the document exactly.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { artifactsDir, editorText, expectSaved, FakeModelServer, goToLine, ollamaSettings, openFile, openWorkbench, runCommand, type ScriptEntry, type Workbench } from "./environment";

const ORIGINAL = "import os\n\n\ndef main():\n    pass\n";
const GREET = 'def greet(name):\n    """Say hello."""\n    message = f"Hello, {name}!"\n    print(message)\n    return message\n';
const MAIN_REWRITTEN = 'def main():\n    print("main")\n    return 0\n';
const TEN_LINES = Array.from({ length: 10 }, (_, i) => `line_${i} = ${i}\n`).join("");
const SLOW_CODE = Array.from({ length: 200 }, (_, i) => `value_${i} = ${i}\n`).join("");

/** Answers for each stage of one instruction (prompts start with the stage's task line). */
function stages(instruction: string, code: string, delayS: number): ScriptEntry[] {
  const pieces = code.match(/[^\n]*\n/g) ?? [];
  const forStage = (task: string): string => `${task}\n\nInstruction: ${instruction}`;
  return [
    { match: forStage("Task: plan the change."), chunks: ["- write ", "the code"] },
    { match: forStage("Task: write the code."), chunks: ["```python\n", ...pieces, "```\n"], delay_s: delayS },
    { match: forStage("Task: review the code."), chunks: ["APPROVE"] },
  ];
}

let model: FakeModelServer;
let workbench: Workbench;

async function generate(page: Page, instruction: string): Promise<void> {
  await runCommand(page, "Ollama: Generate Code…");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(instruction);
  await input.press("Enter");
}

/** Select `count` whole lines from line `first` on (with their line breaks). */
async function selectLines(page: Page, first: number, count: number): Promise<void> {
  await goToLine(page, first);
  for (let i = 0; i < count; i++) await page.keyboard.press("Control+L");
  await page.locator(".statusbar-item", { hasText: /Ln \d+, Col \d+ \(\d+ selected\)/ }).waitFor();
}

beforeAll(async () => {
  model = await FakeModelServer.start([...stages("E2E-APPLY", GREET, 0.15), ...stages("E2E-CANCEL", SLOW_CODE, 0.1), ...stages("E2E-REPLACE", MAIN_REWRITTEN, 0.1), ...stages("E2E-TYPE-ABOVE", TEN_LINES, 0.15)]);
  workbench = await openWorkbench(
    {
      ...ollamaSettings(model),
      "files.eol": "\n",
    },
    { "main.py": ORIGINAL },
  );
  await openFile(workbench.page, "main.py");
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("inline generation", () => {
  test("the code streams into the editor with the stage shown, then is applied as one undo step", async () => {
    const page = workbench.page;
    await goToLine(page, 2);
    await generate(page, "E2E-APPLY");
    const seen = new Set<string>();
    let stageSeen = false;
    let screenshot = false;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const text = await editorText(page);
      if (text.includes("def greet")) seen.add(text);
      if (!stageSeen && (await page.locator(".notifications-toasts", { hasText: "Writing code" }).count()) > 0) stageSeen = true;
      if (!screenshot && text.includes("message = f") && !text.includes("return message")) {
        screenshot = true;
        mkdirSync(artifactsDir, { recursive: true });
        await page.screenshot({ path: join(artifactsDir, "codegen-preview.png") });
      }
      if (text.includes("return message") && (await page.locator(".notifications-toasts", { hasText: "Ollama" }).count()) === 0) break;
    }
    expect(stageSeen).toBe(true);
    // Several partial states of the code were visible in the editor before the end.
    expect([...seen].filter((text) => !text.includes("return message")).length).toBeGreaterThanOrEqual(3);

    // Inserted at the cursor on the empty line 2 (the code ends without a line break there).
    await expectSaved(workbench, "main.py", `import os\n${GREET}\ndef main():\n    pass\n`);

    // Preview and result were one undo step.
    await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+Z");
    await expectSaved(workbench, "main.py", ORIGINAL);
  });

  test("Escape while the preview streams stops the model and restores the document exactly", async () => {
    const page = workbench.page;
    const disconnectsBefore = model.disconnects;
    await goToLine(page, 4);
    await generate(page, "E2E-CANCEL");
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toContain("value_5 = 5");
    await page.keyboard.press("Escape");
    await expect.poll(() => model.disconnects, { timeout: 5000 }).toBe(disconnectsBefore + 1);
    await expect.poll(() => editorText(page)).toBe(ORIGINAL);
    await expectSaved(workbench, "main.py", ORIGINAL);
    await expect.poll(() => page.locator(".notifications-toasts", { hasText: "Ollama" }).count()).toBe(0);
  });

  test("a selection is replaced by the generated code", async () => {
    const page = workbench.page;
    await selectLines(page, 4, 2);
    await generate(page, "E2E-REPLACE");
    // The code shows (as a preview first), then the progress notification closes when it is applied.
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toContain('print("main")');
    await expect.poll(() => page.locator(".notifications-toasts", { hasText: "Ollama" }).count(), { timeout: 30_000 }).toBe(0);
    await expectSaved(workbench, "main.py", `import os\n\n\n${MAIN_REWRITTEN}`);
    await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
    await page.keyboard.press("Control+Z");
    await expectSaved(workbench, "main.py", ORIGINAL);
  });

  test("the notification's Cancel stops the model while a selection is being replaced; the document is as before", async () => {
    const page = workbench.page;
    const disconnectsBefore = model.disconnects;
    await selectLines(page, 4, 2);
    await generate(page, "E2E-CANCEL");
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toContain("value_5 = 5");
    expect(await editorText(page)).not.toContain("def main");
    await page.locator(".notifications-toasts .monaco-button", { hasText: "Cancel" }).click();
    await expect.poll(() => model.disconnects, { timeout: 5000 }).toBe(disconnectsBefore + 1);
    await expect.poll(() => editorText(page)).toBe(ORIGINAL);
    await expectSaved(workbench, "main.py", ORIGINAL);
  });

  test("typing above the preview meanwhile: the code still lands where it belongs", async () => {
    const page = workbench.page;
    await goToLine(page, 2);
    await generate(page, "E2E-TYPE-ABOVE");
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toContain("line_1 = 1");
    await page.keyboard.press("Control+Home");
    await page.keyboard.type("# note");
    await page.keyboard.press("Enter");
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toContain("line_9 = 9");
    await expect.poll(() => page.locator(".notifications-toasts", { hasText: "Ollama" }).count(), { timeout: 30_000 }).toBe(0);
    await expectSaved(workbench, "main.py", `# note\nimport os\n${TEN_LINES}\ndef main():\n    pass\n`);
  });
});
