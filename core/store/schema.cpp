#include "sqldialect.h"

namespace cd::store {

QList<QStringList> crawldeckSchema(const QString &bigint)
{
    // DESIGN §2. Timestamps are ISO-8601 UTC text in every dialect so JobStore and LogStore share
    // one set of statements (the text sorts in time order).
    const QString b = bigint;
    return {
        // 1: the initial schema.
        {
            QStringLiteral(R"(CREATE TABLE jobs (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                backend TEXT NOT NULL,
                status TEXT NOT NULL,
                priority INTEGER NOT NULL DEFAULT 0,
                params TEXT NOT NULL DEFAULT '{}',
                progress INTEGER NOT NULL DEFAULT 0,
                summary TEXT,
                attempt INTEGER NOT NULL DEFAULT 1,
                max_attempts INTEGER NOT NULL DEFAULT 1,
                timeout_s INTEGER NOT NULL DEFAULT 0,
                retry_of TEXT,
                remote_id TEXT,
                remote_status TEXT,
                node TEXT,
                error TEXT,
                exit_code INTEGER,
                created_at TEXT NOT NULL,
                queued_at TEXT,
                started_at TEXT,
                finished_at TEXT,
                updated_at TEXT NOT NULL,
                results_url TEXT,
                log_count %1 NOT NULL DEFAULT 0,
                queue_seq %1 NOT NULL DEFAULT 0))")
                .arg(b),
            QStringLiteral("CREATE INDEX jobs_status_idx ON jobs(status, backend, priority, queue_seq)"),
            QStringLiteral("CREATE INDEX jobs_created_idx ON jobs(created_at)"),
            QStringLiteral(R"(CREATE TABLE job_logs (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                seq %1 NOT NULL,
                ts TEXT NOT NULL,
                level TEXT NOT NULL,
                message TEXT NOT NULL,
                source TEXT NOT NULL,
                PRIMARY KEY (job_id, seq)))")
                .arg(b),
            QStringLiteral(R"(CREATE TABLE artifacts (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                size %1 NOT NULL,
                sha256 TEXT NOT NULL,
                mime TEXT NOT NULL,
                source_url TEXT,
                created_at TEXT NOT NULL,
                PRIMARY KEY (job_id, name)))")
                .arg(b),
        },
        // 2: the change feed's poll reads recently changed jobs every second on every node.
        {
            QStringLiteral("CREATE INDEX jobs_updated_idx ON jobs(updated_at)"),
        },
    };
}

QList<QStringList> SqliteDialect::migrations() const
{
    return crawldeckSchema(QStringLiteral("INTEGER"));
}

QList<QStringList> PostgresDialect::migrations() const
{
    return crawldeckSchema(QStringLiteral("BIGINT"));
}

} // namespace cd::store
