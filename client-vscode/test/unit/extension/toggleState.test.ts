import { expect, test } from "vitest";
import { COMPLETION_ENABLED_KEY, TOGGLE_COMMAND, toggleLook } from "../../../src/completion/toggleState";
import packageJson from "../../../package.json";

test("the status bar says on or off in words, and what a click does", () => {
  const on = toggleLook(true);
  const off = toggleLook(false);
  expect(on.text).toMatch(/Completion: on$/);
  expect(off.text).toMatch(/Completion: off$/);
  expect(on.tooltip).toContain("Tab accepts");
  expect(on.tooltip).toContain("Click to turn it off");
  expect(off.tooltip).toContain("Click to turn it on");
});

test("the toggled setting and the command are contributed", () => {
  expect(packageJson.contributes.configuration.properties).toHaveProperty([`ollama.${COMPLETION_ENABLED_KEY}`]);
  const commands = packageJson.contributes.commands.map((command) => command.command);
  expect(commands).toContain(TOGGLE_COMMAND);
});
