"""Conversations on disk: one SQLite file that every server process of the user shares.

It knows nothing of LSP. `HistoryStore` is the file (synchronous, one connection); `History`
runs a store on a thread of its own and turns a storage failure into one message while the
conversations carry on in memory.

How several editor windows (server processes) write one file at once without losing a turn:
- WAL journal: readers never wait for the writer nor the writer for them.
- Each exchange (a prompt and its answer) is one short `BEGIN IMMEDIATE` transaction: the write
  lock is taken up front, where SQLite's busy handler waits for it (`busy_timeout`); a deferred
  transaction that upgrades from reading to writing would fail with SQLITE_BUSY at once.
  Past the timeout `_retrying` tries again with backoff, so "database is locked" never reaches
  the user (only a lock held by another process for over 20 s, which no exchange of ours takes,
  makes storage fail: said once, the conversations go on in memory).
- `synchronous=NORMAL`: in WAL mode a commit survives the process crashing (a power cut may take
  the last commits back), without an fsync per turn.

The schema's version is `PRAGMA user_version`; `MIGRATIONS[n]` takes a file from version n to
n + 1 inside the transaction that read the version, so two processes opening a new file at once
migrate it once. A file from a newer ollama-lsp is left alone (memory only). A file SQLite finds
corrupt is renamed aside with its `-wal` and `-shm` (never deleted) and a fresh one started.

The store keeps every turn of a conversation (memory keeps only the last `maxHistoryMessages`);
what bounds the file is the retention (`Retention`), applied in each exchange's transaction.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import attrs

log = logging.getLogger(__name__)

T = TypeVar("T")

Role = Literal["user", "assistant"]

#: Version n + 1 of the schema is `MIGRATIONS[n]` applied to version n.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        workspace_folder TEXT,
        created_at INTEGER NOT NULL,  -- milliseconds since the Unix epoch, UTC
        updated_at INTEGER NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX conversations_by_update ON conversations (updated_at DESC, id DESC);
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,  -- as the model sees it: a prompt with its editor context
        prompt TEXT,  -- what the user typed (user turns)
        interrupted INTEGER NOT NULL DEFAULT 0,
        model TEXT,  -- the model that answered (assistant turns)
        created_at INTEGER NOT NULL
    );
    CREATE INDEX turns_by_conversation ON turns (conversation_id, id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

#: Titles are the first line of the first prompt, cut to this many characters.
TITLE_CHARS = 80

BUSY_TIMEOUT_S = 5.0
#: Attempts after the busy timeout, and the first pause between them (doubling).
BUSY_RETRIES = 3
BUSY_BACKOFF_S = 0.5


class StorageError(Exception):
    """Storage failed; the message says what happened and where the file is."""


@attrs.frozen
class StoredTurn:
    role: Role
    #: What the model sees (a prompt with its editor context; an interrupted answer without
    #: the mark the model is shown).
    content: str
    #: What the user typed (user turns).
    prompt: str | None = None
    interrupted: bool = False
    #: The model that answered (assistant turns).
    model: str | None = None
    created_at_ms: int = 0
    #: The interruption was the model server's error, not a stop.
    failed: bool = False


@attrs.frozen
class ConversationSummary:
    id: str
    title: str
    workspace_folder: str | None
    created_at_ms: int
    updated_at_ms: int
    message_count: int


@attrs.frozen
class ConversationPage:
    conversations: list[ConversationSummary]
    #: Pass it back for the next page; None on the last.
    next_cursor: str | None


@attrs.frozen
class Retention:
    """How much the file keeps; applied as conversations are written."""

    #: The most recently updated conversations kept (None: no limit).
    max_conversations: int | None = None
    #: Conversations not updated for this many days are deleted (0: no limit).
    max_age_days: float = 0


def title_of(prompt: str) -> str:
    """A conversation's title: the first non-empty line of its first prompt, shortened."""
    line = next((line.strip() for line in prompt.splitlines() if line.strip()), "")
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def iso_time(ms: int) -> str:
    """Milliseconds since the epoch as ISO 8601 in UTC (`2026-12-01T06:30:00.123Z`)."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _code(error: sqlite3.Error) -> int:
    """The primary result code (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT, ...)."""
    return int(getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_WHAT_WENT_WRONG = {
    sqlite3.SQLITE_READONLY: "it is read-only",
    sqlite3.SQLITE_CANTOPEN: "it cannot be opened",
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_IOERR: "a disk error",
    sqlite3.SQLITE_BUSY: "another process kept it locked",
    sqlite3.SQLITE_LOCKED: "another process kept it locked",
}


class _Corrupt(Exception):
    pass


class HistoryStore:
    """The conversations in one SQLite file (see the module docstring). Not thread-safe: use
    it from one thread, as `History` does."""

    def __init__(self, path: Path, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        """Open (or create) the file and bring its schema up to date; a corrupt file is moved
        aside (`moved_aside`) and a new one made. Raises `StorageError`."""
        self.path = path
        #: Where a corrupt file was put when this store started a fresh one.
        self.moved_aside: Path | None = None
        self._busy_timeout_s = busy_timeout_s
        try:
            self._db = self._connect()
        except _Corrupt:
            self.moved_aside = self._move_aside()
            try:
                self._db = self._connect()
            except _Corrupt:
                raise StorageError(f"{self._cannot} it is corrupt.") from None

    @property
    def _cannot(self) -> str:
        return f"Cannot use the conversation history at {self.path}:"

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(
                f"{self._cannot} cannot create its folder ({error.strerror or error})."
            ) from None
        if self.path.is_dir():
            raise StorageError(f"{self._cannot} it is a folder.")
        # SQLite would open a read-only file for reading and fail at the first write.
        if self.path.exists() and not os.access(self.path, os.W_OK):
            raise StorageError(f"{self._cannot} it is read-only.")
        if not os.access(self.path.parent, os.W_OK):
            raise StorageError(f"{self._cannot} its folder is read-only.")
        db: sqlite3.Connection | None = None
        try:
            # isolation_level=None: we open transactions ourselves (BEGIN IMMEDIATE).
            db = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
            )
            db.execute("PRAGMA foreign_keys = ON")
            connected = db
            self._retrying(lambda: self._prepare(connected))
        except sqlite3.Error as error:
            if db is not None:
                db.close()
            if _code(error) in _CORRUPT:
                raise _Corrupt from None
            raise self._error(error) from None
        except BaseException:
            if db is not None:
                db.close()
            raise
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{self._cannot} it was written by a newer ollama-lsp (schema {version}; this "
                f"one knows {SCHEMA_VERSION})."
            )
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated it meanwhile: read again under the lock.
                version = db.execute("PRAGMA user_version").fetchone()[0]
                for migration in MIGRATIONS[version:]:
                    # One statement at a time (`executescript` would commit): no `;` but theirs.
                    for statement in migration.split(";"):
                        if statement.strip():
                            db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        # Reading a table checks more than the header does.
        db.execute("SELECT count(*) FROM conversations").fetchone()

    def _move_aside(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{self.path}{suffix}")
                if part.exists():
                    part.rename(f"{aside}{suffix}")
        except OSError as error:
            raise StorageError(
                f"{self._cannot} it is corrupt, and moving it aside failed: {error.strerror}."
            ) from None
        return aside

    def _error(self, error: sqlite3.Error) -> StorageError:
        what = _WHAT_WENT_WRONG.get(_code(error), str(error))
        return StorageError(f"{self._cannot} {what} ({error}).")

    def _retrying(self, work: Callable[[], T]) -> T:
        """`work`, tried again with backoff while another process holds the lock."""
        pause = BUSY_BACKOFF_S
        for attempt in range(BUSY_RETRIES + 1):
            try:
                return work()
            except sqlite3.OperationalError as error:
                if _code(error) not in _BUSY or attempt == BUSY_RETRIES:
                    raise
                log.info("History %s is busy (%s); trying again.", self.path, error)
                time.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """`work` in one transaction (a write takes the lock up front); SQLite's errors become
        `StorageError`s that say what happened."""
        db = self._db

        def transaction() -> T:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = work(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return result

        try:
            return self._retrying(transaction)
        except sqlite3.Error as error:
            if _code(error) in _CORRUPT:
                raise StorageError(
                    f"{self._cannot} it is corrupt ({error}); it will be moved aside and a new "
                    "one started when the server next starts."
                ) from None
            raise self._error(error) from None

    def close(self) -> None:
        self._db.close()

    # --- conversations ---------------------------------------------------------------------

    def append(
        self,
        conversation_id: str,
        turns: Sequence[StoredTurn],
        *,
        title: str,
        workspace_folder: str | None,
        retention: Retention,
        now: int | None = None,
    ) -> None:
        """Add `turns` to a conversation (made with `title` if new), then apply `retention`."""
        at = now_ms() if now is None else now

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO conversations (id, title, workspace_folder, created_at, updated_at,"
                " message_count) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " updated_at = excluded.updated_at,"
                " message_count = message_count + excluded.message_count",
                (conversation_id, title, workspace_folder, at, at, len(turns)),
            )
            db.executemany(
                "INSERT INTO turns (conversation_id, role, content, prompt, interrupted, model,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (conversation_id, t.role, t.content, t.prompt, _ending(t), t.model, at)
                    for t in turns
                ],
            )
            if retention.max_age_days > 0:
                oldest = at - int(retention.max_age_days * 86_400_000)
                db.execute("DELETE FROM conversations WHERE updated_at < ?", (oldest,))
            if retention.max_conversations is not None:
                db.execute(
                    "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations"
                    " ORDER BY updated_at DESC, id DESC LIMIT -1 OFFSET ?)",
                    (retention.max_conversations,),
                )

        self._run(write, write=True)

    def recent_turns(self, conversation_id: str, count: int) -> list[StoredTurn] | None:
        """The conversation's last `count` turns, oldest first; None when it is not stored."""

        def read(db: sqlite3.Connection) -> list[StoredTurn] | None:
            if (
                db.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                is None
            ):
                return None
            rows = db.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE conversation_id = ?"
                " ORDER BY id DESC LIMIT ?",
                (conversation_id, count),
            ).fetchall()
            return [_turn(row) for row in reversed(rows)]

        return self._run(read)

    def get(self, conversation_id: str) -> tuple[ConversationSummary, list[StoredTurn]] | None:
        """A conversation and all its turns; None when it is not stored."""

        def read(db: sqlite3.Connection) -> tuple[ConversationSummary, list[StoredTurn]] | None:
            row = db.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if row is None:
                return None
            turns = db.execute(
                f"SELECT {_TURN_COLUMNS} FROM turns WHERE conversation_id = ? ORDER BY id",
                (conversation_id,),
            ).fetchall()
            return ConversationSummary(*row), [_turn(t) for t in turns]

        return self._run(read)

    def page(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        workspace_folders: Sequence[str] | None = None,
        title_contains: str | None = None,
    ) -> ConversationPage:
        """Conversations, most recently updated first. `cursor` (from the previous page) keeps
        pages apart while others write; a bad one raises ValueError."""
        where: list[str] = []
        args: list[Any] = []
        if cursor is not None:
            where.append("(updated_at, id) < (?, ?)")
            args += parse_cursor(cursor)
        if workspace_folders is not None:
            where.append(f"workspace_folder IN ({', '.join('?' * len(workspace_folders))})")
            args += workspace_folders
        if title_contains:
            escaped = title_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("title LIKE ? ESCAPE '\\'")
            args.append(f"%{escaped}%")
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM conversations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, id DESC LIMIT ?"
        rows = self._run(lambda db: db.execute(sql, [*args, limit + 1]).fetchall())
        found = [ConversationSummary(*row) for row in rows[:limit]]
        last = found[-1] if len(rows) > limit else None
        return ConversationPage(found, None if last is None else f"{last.updated_at_ms}:{last.id}")

    def delete(self, conversation_id: str) -> bool:
        """Delete a conversation and its turns; False when it was not stored."""

        def write(db: sqlite3.Connection) -> bool:
            deleted = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            return deleted.rowcount > 0

        return self._run(write, write=True)


def parse_cursor(cursor: str) -> tuple[int, str]:
    """A page's cursor: where the previous page ended. Raises ValueError for a bad one."""
    updated_at, _, after_id = cursor.partition(":")
    if not updated_at.isdigit() or not after_id:
        raise ValueError("not a cursor of this history")
    return int(updated_at), after_id


_SUMMARY_COLUMNS = "id, title, workspace_folder, created_at, updated_at, message_count"
_TURN_COLUMNS = "role, content, prompt, interrupted, model, created_at"


#: The `interrupted` column: 0 complete, 1 stopped, 2 failed (files written before failures were
#: told apart hold 1 for both, read as stopped).
_STOPPED, _FAILED = 1, 2


def _ending(turn: StoredTurn) -> int:
    return (_FAILED if turn.failed else _STOPPED) if turn.interrupted else 0


def _turn(row: Any) -> StoredTurn:
    role, content, prompt, ending, model, created_at = row
    return StoredTurn(role, content, prompt, ending != 0, model, created_at, ending == _FAILED)


@attrs.frozen
class _Failed:
    message: str


class History:
    """A `HistoryStore` on a thread of its own, for an asyncio program.

    One thread (a single-worker executor) owns the connection: its FIFO queue keeps writes in
    order, and a read queued after a write sees it. Writes are sent without waiting (`append`
    returns at once: a turn is recorded even while its request is being cancelled); reads are
    awaited. The event loop never waits on the disk.

    When the store fails (cannot be opened, read-only, corrupt mid-session, disk full), `tell`
    is called once with what happened and where the file is, the store is closed, and every
    later call answers as if nothing were stored: the caller keeps its conversations in memory.
    `tell` also says when a corrupt file was moved aside. It is called on the event loop.
    """

    def __init__(self, path: Path, tell: Callable[[str], None]) -> None:
        self.path = path
        #: What went wrong, once storage has failed (then it stays off for this `History`).
        self.problem: str | None = None
        self._tell = tell
        self._store: HistoryStore | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "ollama-lsp-history")
        self._closed = False
        self._submit(self._open).add_done_callback(self._tell_notice)

    def _open(self) -> str | None:
        """Open the file; what to tell when a corrupt one was moved aside."""
        self._store = HistoryStore(self.path)
        if self._store.moved_aside is None:
            return None
        return (
            f"The conversation history at {self.path} was corrupt: it was moved to "
            f"{self._store.moved_aside} (kept, not deleted) and a new history started."
        )

    def _tell_notice(self, opened: asyncio.Future[str | None]) -> None:
        if (notice := opened.result()) is not None:
            log.warning("%s", notice)
            self._tell(notice)

    def _guarded(self, work: Callable[[], T]) -> T | _Failed:
        """Runs on the history thread."""
        try:
            return work()
        except StorageError as error:
            if self._store is not None:
                self._store.close()
                self._store = None
            return _Failed(str(error))

    def _submit(self, work: Callable[[], T]) -> asyncio.Future[T | None]:
        """Queue `work` on the history thread; its future answers None once storage failed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T | None] = loop.create_future()

        def settle(done: concurrent.futures.Future[T | _Failed]) -> None:
            if future.done():  # its awaiter was cancelled
                return
            if (error := done.exception()) is not None:  # a defect, not the disk
                future.set_exception(error)
                return
            outcome = done.result()
            if not isinstance(outcome, _Failed):
                future.set_result(outcome)
                return
            if self.problem is None:
                self.problem = (
                    f"{outcome.message} Conversations are kept in memory only, until the "
                    "server restarts."
                )
                log.warning("%s", self.problem)
                self._tell(self.problem)
            future.set_result(None)

        self._executor.submit(self._guarded, work).add_done_callback(
            lambda done: loop.call_soon_threadsafe(settle, done)
        )
        return future

    def _with_store(self, work: Callable[[HistoryStore], T]) -> asyncio.Future[T | None]:
        def run() -> T | None:
            return None if self._store is None else work(self._store)

        if self._closed:
            future: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        return self._submit(run)

    def append(self, conversation_id: str, turns: Sequence[StoredTurn], **kwargs: Any) -> None:
        """Queue an exchange to write (see `HistoryStore.append`); returns at once."""
        self._with_store(lambda store: store.append(conversation_id, turns, **kwargs))

    async def recent_turns(self, conversation_id: str, count: int) -> list[StoredTurn] | None:
        return await self._with_store(lambda store: store.recent_turns(conversation_id, count))

    async def get(
        self, conversation_id: str
    ) -> tuple[ConversationSummary, list[StoredTurn]] | None:
        return await self._with_store(lambda store: store.get(conversation_id))

    async def page(self, **kwargs: Any) -> ConversationPage | None:
        """None when storage is unavailable; ValueError for a bad cursor."""
        if kwargs.get("cursor") is not None:
            parse_cursor(kwargs["cursor"])
        return await self._with_store(lambda store: store.page(**kwargs))

    async def delete(self, conversation_id: str) -> bool | None:
        return await self._with_store(lambda store: store.delete(conversation_id))

    async def close(self) -> None:
        """Write what is queued, then close the file (idempotent)."""
        if self._closed:
            return
        self._closed = True

        def close() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        await self._submit(close)
        self._executor.shutdown(wait=False)
