// The history list's rows, from the server's conversation summaries: kept free of `vscode` so
// that the unit tests run them as they are.
import type { ConversationSummary } from "../protocol";

export interface HistoryEntry {
  conversationId: string;
  /** The title: the QuickPick filters on it alone. */
  label: string;
  /** When it was last updated and how long it is. */
  description: string;
  /** The workspace folder it was held in, when not this window's. */
  detail?: string;
}

/** A group's heading ("This workspace", "Other workspaces"). */
export interface HistoryHeading {
  heading: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", then the date (UTC). */
export function relativeTime(iso: string, now: Date): string {
  const then = new Date(iso);
  const elapsed = now.getTime() - then.getTime();
  if (elapsed < MINUTE) return "just now";
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} min ago`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)} h ago`;
  if (elapsed < 2 * DAY) return "yesterday";
  if (elapsed < 7 * DAY) return `${Math.floor(elapsed / DAY)} days ago`;
  return then.toISOString().slice(0, 10);
}

/** A folder's URI as a user reads it: the path of a `file:` URI, any other URI as it is. */
export function folderLabel(uri: string | null): string {
  if (uri === null) return "no workspace folder";
  try {
    const url = new URL(uri);
    return url.protocol === "file:" ? decodeURIComponent(url.pathname) : uri;
  } catch {
    return uri;
  }
}

function entry(summary: ConversationSummary, here: boolean, now: Date): HistoryEntry {
  const messages = `${summary.messageCount} message${summary.messageCount === 1 ? "" : "s"}`;
  return {
    conversationId: summary.id,
    label: summary.title,
    description: `${relativeTime(summary.updatedAt, now)} · ${messages}`,
    ...(here ? {} : { detail: folderLabel(summary.workspaceFolder) }),
  };
}

/**
 * Rows of the history list, most recent first: this window's conversations, then the other
 * windows' under a heading. `workspaceFolders` are this window's folder URIs; a window without
 * folders owns the conversations held without one.
 */
export function historyRows(
  summaries: readonly ConversationSummary[],
  workspaceFolders: readonly string[],
  now: Date,
): (HistoryEntry | HistoryHeading)[] {
  const isHere = (folder: string | null): boolean => (workspaceFolders.length > 0 ? folder !== null && workspaceFolders.includes(folder) : folder === null);
  const here = summaries.filter((summary) => isHere(summary.workspaceFolder)).map((summary) => entry(summary, true, now));
  const elsewhere = summaries.filter((summary) => !isHere(summary.workspaceFolder)).map((summary) => entry(summary, false, now));
  if (elsewhere.length === 0) return here;
  return [...(here.length > 0 ? [{ heading: "This workspace" }, ...here] : []), { heading: "Other workspaces" }, ...elsewhere];
}
