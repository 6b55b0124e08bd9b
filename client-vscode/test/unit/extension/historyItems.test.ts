import { describe, expect, test } from "vitest";
import { folderLabel, historyRows, relativeTime } from "../../../src/history/historyItems";
import type { ConversationSummary } from "../../../src/protocol";

const NOW = new Date("2026-12-01T12:00:00.000Z");
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function summary(id: string, workspaceFolder: string | null, updatedAt: string, messageCount = 2): ConversationSummary {
  return { id, title: `title ${id}`, workspaceFolder, createdAt: updatedAt, updatedAt, messageCount };
}

describe("relativeTime", () => {
  test.each([
    [0, "just now"],
    [59_999, "just now"],
    [MINUTE, "1 min ago"],
    [59 * MINUTE, "59 min ago"],
    [HOUR, "1 h ago"],
    [23 * HOUR + 59 * MINUTE, "23 h ago"],
    [DAY, "yesterday"],
    [2 * DAY, "2 days ago"],
    [6 * DAY + 23 * HOUR, "6 days ago"],
    [7 * DAY, "2026-11-24"],
  ])("%i ms ago reads %s", (elapsed, expected) => {
    expect(relativeTime(ago(elapsed), NOW)).toBe(expected);
  });
});

test("a folder reads as its path; other URIs and no folder as themselves", () => {
  expect(folderLabel("file:///home/ann/my%20project")).toBe("/home/ann/my project");
  expect(folderLabel("vscode-remote://ssh-remote+box/srv/app")).toBe("vscode-remote://ssh-remote+box/srv/app");
  expect(folderLabel(null)).toBe("no workspace folder");
});

describe("historyRows", () => {
  const HERE = "file:///work/app";
  const OTHER = "file:///work/other";

  test("title as label, time and length as description, no folder for this workspace's", () => {
    expect(historyRows([summary("a", HERE, ago(5 * MINUTE), 1), summary("b", HERE, ago(2 * DAY), 4)], [HERE], NOW)).toEqual([
      { conversationId: "a", label: "title a", description: "5 min ago · 1 message" },
      { conversationId: "b", label: "title b", description: "2 days ago · 4 messages" },
    ]);
  });

  test("this workspace's first, then the others under a heading with their folder, each in recency order", () => {
    const rows = historyRows(
      [summary("new-other", OTHER, ago(MINUTE)), summary("here", HERE, ago(HOUR)), summary("none", null, ago(2 * HOUR)), summary("old-here", HERE, ago(DAY))],
      [HERE],
      NOW,
    );
    expect(rows.map((row) => ("heading" in row ? `# ${row.heading}` : `${row.conversationId} ${row.detail ?? ""}`.trim()))).toEqual([
      "# This workspace",
      "here",
      "old-here",
      "# Other workspaces",
      "new-other /work/other",
      "none no workspace folder",
    ]);
  });

  test("only other workspaces' conversations: one heading; a window without folders owns those held without one", () => {
    expect(historyRows([summary("x", OTHER, ago(0))], [HERE], NOW).map((row) => ("heading" in row ? row.heading : row.conversationId))).toEqual(["Other workspaces", "x"]);
    expect(historyRows([summary("none", null, ago(0)), summary("x", OTHER, ago(0))], [], NOW).map((row) => ("heading" in row ? row.heading : row.conversationId))).toEqual([
      "This workspace",
      "none",
      "Other workspaces",
      "x",
    ]);
  });
});
