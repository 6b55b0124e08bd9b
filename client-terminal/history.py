"""`ollama-lsp history`: list, show and delete the stored conversations (the server's
`ollama.listConversations`, `ollama.getConversation` and `ollama.deleteConversation`)."""

from __future__ import annotations

import sys

from pygls.exceptions import JsonRpcException

from ollama_lsp.server.protocol import (
    MAX_PAGE,
    Command,
    ConversationParams,
    ListConversationsParams,
)

from .client import TerminalClient, say, storage_note


async def list_conversations(client: TerminalClient, limit: int) -> int:
    """The last `limit` conversations updated, one a line: id, update time (UTC), messages,
    title; where they are stored on stderr."""
    shown, cursor = 0, None
    while shown < limit:
        page = await client.request(
            Command.LIST_CONVERSATIONS,
            ListConversationsParams(limit=min(MAX_PAGE, limit - shown), cursor=cursor),
        )
        for summary in page["conversations"]:
            updated = summary["updatedAt"][:16].replace("T", " ")
            print(f"{summary['id']}  {updated}  {summary['messageCount']:>4}  {summary['title']}")
        shown += len(page["conversations"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    more = " (more with --limit)" if cursor is not None else ""
    say(f"[{shown} conversations{more}; {storage_note(page)}]")
    return 1 if page["storage"]["problem"] else 0


async def show_conversation(client: TerminalClient, conversation_id: str) -> int:
    """The conversation as it went: prompts quoted with `> `, each answer followed by its
    model (and whether it was stopped or failed before the end)."""
    try:
        found = await client.request(Command.GET_CONVERSATION, ConversationParams(conversation_id))
    except JsonRpcException as error:
        say(f"error: {error.message}")
        return 1
    out = sys.stdout
    out.write(f"# {found['conversation']['title']}\n")
    for turn in found["turns"]:
        if turn["role"] == "user":
            out.write("\n" + "".join(f"> {line}\n" for line in turn["text"].splitlines() or [""]))
            continue
        ending = "failed" if turn["failed"] else "stopped"
        cut = f" · {ending} before the end" if turn["interrupted"] else ""
        out.write(f"\n{turn['text'].rstrip()}\n— {turn['model']}{cut}\n")
    return 0


async def delete_conversation(client: TerminalClient, conversation_id: str) -> int:
    try:
        result = await client.request(
            Command.DELETE_CONVERSATION, ConversationParams(conversation_id)
        )
    except JsonRpcException as error:
        say(f"error: {error.message}")
        return 1
    if not result["deleted"]:
        say(f"error: no conversation {conversation_id}")
        return 1
    say(f"[deleted {conversation_id}]")
    return 0
