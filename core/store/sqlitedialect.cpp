#include "sqldialect.h"

namespace cd::store {

QStringList SqliteDialect::sessionSetup() const
{
    // WAL lets readers (GUI, HTTP) run while a group commit writes; NORMAL keeps commits cheap and
    // is still crash-safe in WAL mode (a power cut may lose the last commits, never corrupt).
    return {
        QStringLiteral("PRAGMA journal_mode=WAL"),
        QStringLiteral("PRAGMA synchronous=NORMAL"),
        QStringLiteral("PRAGMA foreign_keys=ON"),
        QStringLiteral("PRAGMA busy_timeout=5000"),
    };
}

QList<QStringList> SqliteDialect::migrations() const
{
    return {
        // 1: the initial schema (DESIGN §2).
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
                log_count INTEGER NOT NULL DEFAULT 0,
                queue_seq INTEGER NOT NULL DEFAULT 0))"),
            QStringLiteral("CREATE INDEX jobs_status_idx ON jobs(status, backend, priority, queue_seq)"),
            QStringLiteral("CREATE INDEX jobs_created_idx ON jobs(created_at)"),
            QStringLiteral(R"(CREATE TABLE job_logs (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                ts TEXT NOT NULL,
                level TEXT NOT NULL,
                message TEXT NOT NULL,
                source TEXT NOT NULL,
                PRIMARY KEY (job_id, seq)))"),
            QStringLiteral(R"(CREATE TABLE artifacts (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                size INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                mime TEXT NOT NULL,
                source_url TEXT,
                created_at TEXT NOT NULL,
                PRIMARY KEY (job_id, name)))"),
        },
    };
}

} // namespace cd::store
