"""Triggers that make a table append-only on SQLite, PostgreSQL and Oracle.

Used by migrations of tables whose rows must never change after insert (the audit
journal, immutable trade records). The Oracle statements are generated as text here
and checked by tests as text, because no Oracle server runs in CI.
"""

from alembic import op


def append_only_ddl(dialect: str, table: str) -> list[str]:
    """Return the statements that reject UPDATE and DELETE on `table`."""
    message = f"{table} is append-only: updates and deletes are rejected"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {table}_reject_change() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{message}'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_reject_change()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_reject_change()",
        ]
    if dialect == "oracle":
        return [
            f"CREATE OR REPLACE TRIGGER {table}_append_only "
            f"BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
            f"BEGIN RAISE_APPLICATION_ERROR(-20001, '{message}'); END;"
        ]
    raise ValueError(f"no append-only triggers for database dialect {dialect!r}")


def drop_append_only_ddl(dialect: str, table: str) -> list[str]:
    """Return the statements that remove the triggers of `append_only_ddl`."""
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")
        ]
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_reject_change()",
        ]
    if dialect == "oracle":
        return [f"DROP TRIGGER {table}_append_only"]
    raise ValueError(f"no append-only triggers for database dialect {dialect!r}")


def make_append_only(table: str) -> None:
    """Create the append-only triggers of `table` in the current migration."""
    for statement in append_only_ddl(op.get_context().dialect.name, table):
        op.execute(statement)


def drop_append_only(table: str) -> None:
    """Drop the append-only triggers of `table` in the current migration."""
    for statement in drop_append_only_ddl(op.get_context().dialect.name, table):
        op.execute(statement)
