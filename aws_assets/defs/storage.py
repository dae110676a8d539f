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
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
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

    def _close_all(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
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
