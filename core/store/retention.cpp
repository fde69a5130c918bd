#include "retention.h"

#include "database.h"

#include "model/job.h"
#include "model/jobstatus.h"

#include <QSqlQuery>
#include <QVariant>

namespace cd::store {

using Code = Error::Code;

Retention::Retention(Database *db) : m_db(db) {}

Result<PurgedJobs> Retention::purge(const QDateTime &cutoff, int limit)
{
    if (limit <= 0)
        return PurgedJobs{};
    QStringList statusMarks;
    QVariantList terminal;
    for (auto s : model::allStatuses()) {
        if (model::isTerminal(s)) {
            statusMarks << QStringLiteral("?");
            terminal << model::toString(s);
        }
    }
    const QString statusIn = QStringLiteral("status IN (") + statusMarks.join(u',') + u')';

    if (!m_db->db().transaction())
        return Error::make(Code::Unavailable, QStringLiteral("cannot begin a retention transaction"));
    auto fail = [this](const Error &e) {
        m_db->db().rollback();
        return Error::make(Code::Unavailable, e.detail);
    };
    QVariantList values = terminal;
    values << model::isoUtc(cutoff.toUTC()) << limit;
    auto picked = m_db->run(QStringLiteral("SELECT id FROM jobs WHERE ") + statusIn +
                                QStringLiteral(" AND finished_at IS NOT NULL AND finished_at < ? "
                                               "ORDER BY finished_at LIMIT ?"),
                            values, "picking jobs past retention");
    if (!picked)
        return fail(picked.error());
    PurgedJobs out;
    QVariantList ids;
    while (picked.value().next()) {
        out.jobIds << picked.value().value(0).toString();
        ids << out.jobIds.constLast();
    }
    if (ids.isEmpty()) {
        m_db->db().commit();
        return out;
    }
    QStringList idMarks;
    idMarks.fill(QStringLiteral("?"), ids.size());
    const QString idIn = QStringLiteral(" WHERE job_id IN (") + idMarks.join(u',') + u')';
    auto lines = m_db->run(QStringLiteral("DELETE FROM job_logs") + idIn, ids, "deleting old log lines");
    if (!lines)
        return fail(lines.error());
    out.lines = lines.value().numRowsAffected();
    auto chunks = m_db->run(QStringLiteral("DELETE FROM artifact_chunks") + idIn, ids, "deleting old artifact chunks");
    if (!chunks)
        return fail(chunks.error());
    out.chunks = chunks.value().numRowsAffected();
    auto artifacts = m_db->run(QStringLiteral("DELETE FROM artifacts") + idIn, ids, "deleting old artifact rows");
    if (!artifacts)
        return fail(artifacts.error());
    out.artifacts = artifacts.value().numRowsAffected();
    auto jobs = m_db->run(QStringLiteral("DELETE FROM jobs WHERE id IN (") + idMarks.join(u',') + u')', ids,
                          "deleting old jobs");
    if (!jobs)
        return fail(jobs.error());
    if (!m_db->db().commit()) {
        m_db->db().rollback();
        return Error::make(Code::Unavailable, QStringLiteral("cannot commit a retention batch"));
    }
    return out;
}

Result<QStringList> Retention::existing(const QStringList &ids)
{
    if (ids.isEmpty())
        return QStringList{};
    QStringList marks;
    marks.fill(QStringLiteral("?"), ids.size());
    QVariantList values;
    for (const QString &id : ids)
        values << id;
    auto q = m_db->run(QStringLiteral("SELECT id FROM jobs WHERE id IN (") + marks.join(u',') + u')', values,
                       "looking up the jobs of job directories");
    if (!q)
        return Error::make(Code::Unavailable, q.error().detail);
    QStringList out;
    while (q.value().next())
        out << q.value().value(0).toString();
    return out;
}

} // namespace cd::store
