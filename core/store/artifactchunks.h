#pragma once

#include "common/result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace cd::store {

class Database;

// One artifact of one job, by its row's key.
struct ArtifactKey
{
    QString jobId;
    QString name;
};

// The bytes of artifacts kept in the database (table artifact_chunks), so that any node sharing it
// can serve any job's files. Written one chunk per statement inside one transaction per artifact, read
// one chunk per statement: neither side ever holds a whole file in memory.
class ArtifactChunks final
{
public:
    // 1 MiB: large enough that a copy or a download is a few statements per MiB (each one a round
    // trip), small enough that a reader holds little memory per download and PostgreSQL's per-value
    // overhead (TOAST) stays negligible; far below the 1 GB limit of one bytea value.
    static constexpr qint64 kChunkBytes = 1024 * 1024;

    explicit ArtifactChunks(Database *db);

    // Writing one artifact: begin() opens the transaction and drops any chunks left from an earlier
    // copy, put() adds chunks in order from 0, finish() marks the row `database` (only while it
    // still describes these bytes: same size and sha256) and commits after checking that the chunks
    // add up to `size`. Any failure rolls back; abort() gives up a copy under way.
    Status begin(const ArtifactKey &key);
    Status put(const ArtifactKey &key, qint64 chunk, const QByteArray &bytes);
    Status finish(const ArtifactKey &key, qint64 size, const QString &sha256);
    void abort();
    bool inTransaction() const { return m_open; }

    // Chunk `chunk` (0-based) of an artifact; NotFound when there is none, Unavailable when the
    // database cannot be read.
    Result<QByteArray> chunk(const ArtifactKey &key, qint64 chunk) const;

    // The artifacts `node` recorded whose copy into the database is still due (oldest first).
    Result<QList<ArtifactKey>> pendingOf(const QString &node, int limit) const;
    // The storage of an artifact row; NotFound when there is no such row.
    Result<QString> storage(const ArtifactKey &key) const;
    // Sets the storage of an artifact row (a copy that can no longer be made goes back to `disk`).
    Status setStorage(const ArtifactKey &key, const QString &storage);

private:
    Status fail(const Error &e);

    Database *m_db;
    bool m_open = false;
};

} // namespace cd::store
