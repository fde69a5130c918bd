#include "sqldialect.h"

namespace cd::store {

QList<QStringList> crawldeckSchema(const QString &bigint, const QString &blob)
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
        // 3: claims, nodes and the leader lease (DESIGN §7). `claim` counts the hand-overs of a job:
        // every write by the node that runs it carries the value it claimed, so a node that lost the
        // job (declared dead, rescued elsewhere) cannot write it any more.
        {
            QStringLiteral("ALTER TABLE jobs ADD COLUMN claim %1 NOT NULL DEFAULT 0").arg(b),
            // Only queued rows are ever searched for work: the index stays as small as the queue.
            QStringLiteral("CREATE INDEX jobs_queued_idx ON jobs(backend, priority DESC, queue_seq) "
                           "WHERE status = 'queued'"),
            QStringLiteral("CREATE INDEX jobs_node_idx ON jobs(node, status)"),
            QStringLiteral(R"(CREATE TABLE nodes (
                id TEXT PRIMARY KEY,
                address TEXT NOT NULL,
                version TEXT NOT NULL,
                started_at TEXT NOT NULL,
                heartbeat_at TEXT NOT NULL))"),
            QStringLiteral(R"(CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                expires_at TEXT NOT NULL))"),
            QStringLiteral("INSERT INTO leases (name, holder, expires_at) VALUES ('leader', '', '')"),
        },
        // 4: secrets every node must share: the key job tokens are signed with, so a worker's
        // callback is accepted by whichever node it reaches.
        {
            QStringLiteral(R"(CREATE TABLE shared_secrets (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL))"),
        },
        // 5: artifacts any node can serve (DESIGN §7). An artifact row says where its bytes are
        // (`storage`: disk = only on `node`'s disk, pending = a copy into the database is due,
        // database = complete in artifact_chunks) and which node wrote the file. The bytes go in
        // chunks of ArtifactChunks::kChunkBytes so that no single value is ever held whole in memory.
        {
            QStringLiteral("ALTER TABLE artifacts ADD COLUMN storage TEXT NOT NULL DEFAULT 'disk'"),
            QStringLiteral("ALTER TABLE artifacts ADD COLUMN node TEXT"),
            QStringLiteral(R"(CREATE TABLE artifact_chunks (
                job_id TEXT NOT NULL,
                name TEXT NOT NULL,
                chunk INTEGER NOT NULL,
                bytes %1 NOT NULL,
                PRIMARY KEY (job_id, name, chunk),
                FOREIGN KEY (job_id, name) REFERENCES artifacts(job_id, name) ON DELETE CASCADE))")
                .arg(blob),
            // The copy retry looks for one node's unfinished copies.
            QStringLiteral("CREATE INDEX artifacts_pending_idx ON artifacts(node) WHERE storage = 'pending'"),
        },
        // 6: job lists are newest first by queue_seq, paged by keyset on it: without this index every
        // page sorted the whole table (94 ms for the first page of 100,000 jobs, 0.2 ms with it).
        {
            QStringLiteral("CREATE INDEX jobs_queue_seq_idx ON jobs(queue_seq)"),
        },
    };
}

QList<QStringList> SqliteDialect::migrations() const
{
    return crawldeckSchema(QStringLiteral("INTEGER"), QStringLiteral("BLOB"));
}

QList<QStringList> PostgresDialect::migrations() const
{
    auto steps = crawldeckSchema(QStringLiteral("BIGINT"), QStringLiteral("BYTEA"));
    // MAX(queue_seq) + 1 inside an INSERT races between nodes; a sequence does not. SQLite keeps
    // MAX + 1: its writers are serialised.
    steps[1] << QStringLiteral("CREATE SEQUENCE jobs_queue_seq")
             << QStringLiteral("SELECT setval('jobs_queue_seq', COALESCE((SELECT MAX(queue_seq) FROM jobs), 0) + 1, "
                               "false)");
    return steps;
}

} // namespace cd::store
