"""Dagster's SQLite instance storage, with the event log's connections kept open between events.

A sync records one materialization per table and partition: tens of thousands at organisation scale. Dagster's
`SqliteEventLogStorage` opens a new SQLAlchemy engine for every connection and writes each asset event through two
of them (the run's database and the cross-run index), each commit waiting for the disk: 6.9 ms an event here, 5.3
of them CPU, which made Dagster's event log, not AWS, the bottleneck of a large sync. Keeping one engine per
database (the index and the runs lately written) and committing with SQLite's `synchronous=NORMAL` brings an event
to 1.6 ms (`benchmarks/event_log.py`). In WAL mode, which Dagster's SQLite storage uses, `NORMAL` keeps the database
consistent through a crash of the process or of the machine; only the last commits before a power loss may be lost,
and the sync rewrites those on its next run. Everything else (the file layout under `$DAGSTER_HOME`, the schema,
the run and schedule storage) is Dagster's own, so an instance may switch between this and the default either way.

Three more costs of every asset event are Dagster's and not the database's: it reflects the asset-key table's columns
(a PRAGMA and SQLAlchemy's parsing of it) to learn whether an old schema lacks one, it opens a new engine on the
index to learn whether the tag table exists (every event with a data version), and it records the asset's last
materialization by an INSERT that fails with an IntegrityError for every asset seen before, then an UPDATE. Here the
columns and the tables found are remembered for the process, forgotten by a migration or a wipe, and the row is
updated first and inserted only when there was none: the same rows either way, for about 30% less CPU an event.

Selected in the shipped dagster.yaml:

    storage:
      custom:
        module: aws_assets.defs.storage
        class: SqliteStorageWithOpenConnections
        config:
          base_dir: {env: DAGSTER_HOME}
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy
from dagster._config import StringSource, UserConfigSchema
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.schema import AssetKeyTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

# Dagster's own busy timeout for its SQLite databases: a writer waits this long for another process's lock.
BUSY_TIMEOUT_SECONDS = 30
# The databases kept open: the index and the runs whose events are being written; a UI reading many runs' logs
# opens the others in turn.
OPEN_DATABASES = 8


def _commit_without_waiting_for_the_disk(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA synchronous=NORMAL")


class SqliteEventLogStorageWithOpenConnections(SqliteEventLogStorage):
    """Dagster's SQLite event log, its engines kept per database instead of created for every connection."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._asset_key_columns: frozenset[str] | None = None
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> SqliteEventLogStorageWithOpenConnections:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = sqlalchemy.create_engine(
                    self.conn_string_for_shard(shard),
                    # The connections outlive a thread: Dagster serialises this storage's use of them (`_db_lock`).
                    connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                sqlalchemy.event.listen(engine, "connect", _commit_without_waiting_for_the_disk)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_DATABASES:
                _, evicted = self._engines.popitem(last=False)
                evicted.dispose()
            return engine

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        if self._asset_key_columns is None:
            self._asset_key_columns = frozenset(
                column["name"] for column in sqlalchemy.inspect(conn).get_columns(AssetKeyTable.name))
        return column_name in self._asset_key_columns

    def has_table(self, table_name: str) -> bool:
        if table_name not in self._tables_found:
            # Not through _connect: Dagster asks from inside an index transaction, which holds `_db_lock`.
            with self._engine(INDEX_SHARD_NAME).connect() as connection:
                if connection.dialect.has_table(connection, table_name):
                    self._tables_found.add(table_name)  # a table is not dropped but by a migration or a wipe
        return table_name in self._tables_found

    def _store_asset_event(self, conn: Connection, event: EventLogEntry, event_id: int) -> None:
        if not (event.dagster_event and event.dagster_event.asset_key):
            return
        values = self._get_asset_entry_values(event, event_id, self._has_asset_key_index_cols_on_connection(conn))
        if not values:
            return
        asset_key = event.dagster_event.asset_key.to_string()
        updated = conn.execute(AssetKeyTable.update().values(**values).where(AssetKeyTable.c.asset_key == asset_key))
        if updated.rowcount == 0:
            # The transaction holds the write lock since it stored the event itself: no other writer can have
            # inserted the row in between.
            conn.execute(AssetKeyTable.insert().values(asset_key=asset_key, **values))

    def upgrade(self) -> None:
        super().upgrade()
        self._asset_key_columns = None  # a migration may have added some
        self._tables_found.clear()

    def _close_all(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._asset_key_columns = None
        self._tables_found.clear()
        self._close_all()  # wipe deletes the run databases: no connection may keep a deleted file open
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


class SqliteStorageWithOpenConnections(DagsterSqliteStorage):
    """Dagster's SQLite instance storage (runs, event log, schedules) with the event log above."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage.dispose()
        self._event_log_storage = SqliteEventLogStorageWithOpenConnections(_event_logs_directory(base_dir))

    @classmethod
    def config_type(cls) -> UserConfigSchema:
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> SqliteStorageWithOpenConnections:
        return cls.from_local(inst_data=inst_data, **config_value)
