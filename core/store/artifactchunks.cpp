#include "artifactchunks.h"

#include "common/logging.h"
#include "database.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace cd::store {

using Code = Error::Code;

namespace {

// Inside the copy's transaction a lost connection must fail the copy, never be reopened and the
// statement run again outside the transaction (what Database::run does): statements go straight to
// the connection.
Result<QSqlQuery> exec(QSqlDatabase &db, const QString &sql, const QVariantList &values, const char *what)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (q.prepare(sql)) {
        for (const QVariant &v : values)
            q.addBindValue(v);
        if (q.exec())
            return q;
    }
    return Error::make(Code::Unavailable,
                       QStringLiteral("database error while %1: %2").arg(QLatin1String(what), q.lastError().text()));
}

} // namespace

ArtifactChunks::ArtifactChunks(Database *db) : m_db(db) {}

Status ArtifactChunks::fail(const Error &e)
{
    abort();
    qCWarning(lcStore).noquote() << e.detail;
    return Error::make(Code::Unavailable, e.detail);
}

void ArtifactChunks::abort()
{
    if (m_open)
        m_db->db().rollback();
    m_open = false;
}

Status ArtifactChunks::begin(const ArtifactKey &key)
{
    abort();
    // A connection that went away since the last copy is reopened now, before the transaction.
    m_db->reconnectIfLost();
    if (!m_db->db().transaction())
        return fail(Error::make(
            Code::Unavailable, QStringLiteral("cannot begin an artifact copy: %1").arg(m_db->db().lastError().text())));
    m_open = true;
    auto q = exec(m_db->db(), QStringLiteral("DELETE FROM artifact_chunks WHERE job_id = ? AND name = ?"),
                  {key.jobId, key.name}, "dropping an earlier copy of an artifact");
    if (!q)
        return fail(q.error());
    return Ok{};
}

Status ArtifactChunks::put(const ArtifactKey &key, qint64 chunk, const QByteArray &bytes)
{
    if (!m_open)
        return Error::make(Code::Internal, QStringLiteral("artifact chunk written outside a copy"));
    auto q =
        exec(m_db->db(), QStringLiteral("INSERT INTO artifact_chunks (job_id, name, chunk, bytes) VALUES (?, ?, ?, ?)"),
             {key.jobId, key.name, chunk, bytes}, "writing an artifact chunk");
    if (!q)
        return fail(q.error());
    return Ok{};
}

Status ArtifactChunks::finish(const ArtifactKey &key, qint64 size, const QString &sha256)
{
    if (!m_open)
        return Error::make(Code::Internal, QStringLiteral("artifact copy finished outside a copy"));
    auto sum = exec(m_db->db(),
                    QStringLiteral("SELECT COUNT(*), COALESCE(SUM(LENGTH(bytes)), 0) FROM artifact_chunks "
                                   "WHERE job_id = ? AND name = ?"),
                    {key.jobId, key.name}, "checking an artifact copy");
    if (!sum)
        return fail(sum.error());
    const qint64 chunks = sum.value().next() ? sum.value().value(0).toLongLong() : -1;
    const qint64 bytes = sum.value().value(1).toLongLong();
    const qint64 expected = (size + kChunkBytes - 1) / kChunkBytes;
    if (chunks != expected || bytes != size)
        return fail(Error::make(Code::Internal, QStringLiteral("the copy of artifact '%1' of job %2 holds %3 bytes in "
                                                               "%4 chunks, not %5 bytes in %6")
                                                    .arg(key.name, key.jobId)
                                                    .arg(bytes)
                                                    .arg(chunks)
                                                    .arg(size)
                                                    .arg(expected)));
    auto mark = exec(m_db->db(),
                     QStringLiteral("UPDATE artifacts SET storage = 'database' WHERE job_id = ? AND name = ? AND "
                                    "size = ? AND sha256 = ?"),
                     {key.jobId, key.name, size, sha256}, "marking an artifact copied");
    if (!mark)
        return fail(mark.error());
    if (mark.value().numRowsAffected() != 1)
        return fail(Error::make(
            Code::Conflict,
            QStringLiteral("artifact '%1' of job %2 changed or went away during its copy").arg(key.name, key.jobId)));
    if (!m_db->db().commit())
        return fail(Error::make(Code::Unavailable, QStringLiteral("cannot commit the copy of artifact '%1': %2")
                                                       .arg(key.name, m_db->db().lastError().text())));
    m_open = false;
    return Ok{};
}

Result<QByteArray> ArtifactChunks::chunk(const ArtifactKey &key, qint64 chunk) const
{
    auto q = m_db->run(QStringLiteral("SELECT bytes FROM artifact_chunks WHERE job_id = ? AND name = ? AND chunk = ?"),
                       {key.jobId, key.name, chunk}, "reading an artifact chunk");
    if (!q) {
        qCWarning(lcStore).noquote() << q.error().detail;
        return Error::make(Code::Unavailable, q.error().detail);
    }
    if (!q.value().next())
        return Error::make(
            Code::NotFound,
            QStringLiteral("artifact '%1' of job %2 has no chunk %3").arg(key.name, key.jobId).arg(chunk));
    return q.value().value(0).toByteArray();
}

Result<QList<ArtifactKey>> ArtifactChunks::pendingOf(const QString &node, int limit) const
{
    auto q = m_db->run(QStringLiteral("SELECT job_id, name FROM artifacts WHERE node = ? AND storage = 'pending' "
                                      "ORDER BY created_at LIMIT ?"),
                       {node, limit}, "listing artifact copies still due");
    if (!q)
        return Error::make(Code::Unavailable, q.error().detail);
    QList<ArtifactKey> out;
    while (q.value().next())
        out.append(ArtifactKey{q.value().value(0).toString(), q.value().value(1).toString()});
    return out;
}

Result<QString> ArtifactChunks::storage(const ArtifactKey &key) const
{
    auto q = m_db->run(QStringLiteral("SELECT storage FROM artifacts WHERE job_id = ? AND name = ?"),
                       {key.jobId, key.name}, "reading where an artifact is");
    if (!q)
        return Error::make(Code::Unavailable, q.error().detail);
    if (!q.value().next())
        return Error::make(Code::NotFound, QStringLiteral("job %1 has no artifact '%2'").arg(key.jobId, key.name));
    return q.value().value(0).toString();
}

Status ArtifactChunks::setStorage(const ArtifactKey &key, const QString &storage)
{
    auto q = m_db->run(QStringLiteral("UPDATE artifacts SET storage = ? WHERE job_id = ? AND name = ?"),
                       {storage, key.jobId, key.name}, "recording where an artifact is");
    if (!q)
        return Error::make(Code::Unavailable, q.error().detail);
    return Ok{};
}

} // namespace cd::store
