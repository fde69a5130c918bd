#include "jobstore.h"
#include "jobrows.h"

#include "artifactchunks.h"
#include "common/logging.h"
#include "database.h"
#include "sqldialect.h"
#include "sqlutil.h"

#include <QJsonDocument>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTimeZone>
#include <QUuid>
#include <QVariant>

namespace cd::store {

using model::Job;
using model::JobStatus;
using Code = Error::Code;

namespace rows {

// A statement that failed is the database's fault, not the caller's: logged with the SQL error,
// and answered as Unavailable so the API says "retry" (503) instead of "no such job" (404) or 500.
Error unavailable(const Error &e)
{
    qCWarning(lcStore).noquote() << e.detail;
    return Error::make(Code::Unavailable, QStringLiteral("the job database is not answering right now; retry shortly"));
}

const QString kJobColumns =
    QStringLiteral("id, kind, backend, status, priority, params, progress, summary, attempt, max_attempts, "
                   "timeout_s, retry_of, remote_id, remote_status, node, error, exit_code, created_at, queued_at, "
                   "started_at, finished_at, updated_at, results_url, log_count");

QString nowIso()
{
    return model::isoUtc(QDateTime::currentDateTimeUtc());
}

QDateTime parseTime(const QVariant &v)
{
    if (v.isNull())
        return {};
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    t.setTimeZone(QTimeZone::utc());
    return t;
}

QJsonObject parseObject(const QVariant &v)
{
    if (v.isNull())
        return {};
    return QJsonDocument::fromJson(v.toString().toUtf8()).object();
}

QString toJsonText(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QVariant nullable(const QString &s)
{
    // An invalid QVariant binds as SQL NULL; a typed empty one would bind ''.
    return s.isEmpty() ? QVariant() : QVariant(s);
}

Job jobFromQuery(const QSqlQuery &q)
{
    Job j;
    int c = 0;
    j.id = q.value(c++).toString();
    j.kind = q.value(c++).toString();
    j.backend = model::backendFromString(q.value(c++).toString()).value_or(model::Backend::Local);
    j.status = model::jobStatusFromString(q.value(c++).toString()).value_or(JobStatus::Failed);
    j.priority = q.value(c++).toInt();
    j.params = parseObject(q.value(c++));
    j.progress = q.value(c++).toInt();
    j.summary = parseObject(q.value(c++));
    j.attempt = q.value(c++).toInt();
    j.maxAttempts = q.value(c++).toInt();
    j.timeoutS = q.value(c++).toInt();
    j.retryOf = q.value(c++).toString();
    j.remoteId = q.value(c++).toString();
    j.remoteStatus = q.value(c++).toString();
    j.node = q.value(c++).toString();
    j.error = q.value(c++).toString();
    const QVariant exit = q.value(c++);
    if (!exit.isNull())
        j.exitCode = exit.toInt();
    j.createdAt = parseTime(q.value(c++));
    j.queuedAt = parseTime(q.value(c++));
    j.startedAt = parseTime(q.value(c++));
    j.finishedAt = parseTime(q.value(c++));
    j.updatedAt = parseTime(q.value(c++));
    j.resultsUrl = q.value(c++).toString();
    j.logCount = q.value(c++).toLongLong();
    return j;
}

// Appends "col = ?" pairs for every field the patch sets.
void addPatch(const JobPatch &p, QStringList &sets, QVariantList &values)
{
    auto add = [&](const char *col, const QVariant &v) {
        sets << QLatin1String(col) + QStringLiteral(" = ?");
        values << v;
    };
    if (p.progress)
        add("progress", qBound(0, *p.progress, 100));
    if (p.summary)
        add("summary", toJsonText(*p.summary));
    if (p.remoteId)
        add("remote_id", nullable(*p.remoteId));
    if (p.remoteStatus)
        add("remote_status", nullable(*p.remoteStatus));
    if (p.node)
        add("node", nullable(*p.node));
    if (p.error)
        add("error", nullable(*p.error));
    if (p.exitCode)
        add("exit_code", *p.exitCode);
    if (p.resultsUrl)
        add("results_url", nullable(*p.resultsUrl));
}

} // namespace rows

using namespace rows;

JobStore::JobStore(Database *db, QObject *parent) : QObject(parent), m_db(db) {}

Result<Job> JobStore::insert(const model::JobSpec &spec)
{
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString now = nowIso();
    // An attempt number past the limit would read "attempt 2 of 1".
    const int maxAttempts = qMax(spec.maxAttempts, spec.attempt);
    const auto q = m_db->run(
        QStringLiteral(
            "INSERT INTO jobs (id, kind, backend, status, priority, params, progress, attempt, max_attempts, "
            "timeout_s, retry_of, created_at, queued_at, updated_at, log_count, queue_seq) "
            // queue_seq keeps submission order among jobs created in the same millisecond.
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, 0, ") +
            // Nodes insert at once on PostgreSQL: MAX + 1 would hand two of them one number.
            (m_db->dialect().name() == u"postgresql"
                 ? QStringLiteral("nextval('jobs_queue_seq'))")
                 : QStringLiteral("(SELECT COALESCE(MAX(queue_seq), 0) + 1 FROM jobs))")),
        {id, spec.kind, model::toString(spec.backend), model::toString(JobStatus::Queued), spec.priority,
         toJsonText(spec.params), spec.attempt, maxAttempts, spec.timeoutS, nullable(spec.retryOf), now, now, now},
        "creating a job");
    if (!q)
        return unavailable(q.error());
    auto job = reload(id);
    if (job)
        Q_EMIT jobAdded(job.value());
    return job;
}

Result<Job> JobStore::changed(const QString &id)
{
    auto updated = reload(id);
    if (updated)
        Q_EMIT jobChanged(updated.value());
    return updated;
}

Result<Job> JobStore::reload(const QString &id) const
{
    return job(id);
}

Result<Job> JobStore::job(const QString &id) const
{
    auto q = m_db->run(QStringLiteral("SELECT ") + kJobColumns + QStringLiteral(" FROM jobs WHERE id = ?"), {id},
                       "reading a job");
    if (!q)
        return unavailable(q.error());
    if (!q.value().next())
        return Error::make(Code::NotFound, QStringLiteral("job %1 not found").arg(id));
    return jobFromQuery(q.value());
}

Status JobStore::require(const QString &id) const
{
    if (m_known.contains(id))
        return Ok{};
    auto q = m_db->run(QStringLiteral("SELECT 1 FROM jobs WHERE id = ?"), {id}, "looking up a job");
    if (!q)
        return unavailable(q.error());
    if (!q.value().next())
        return Error::make(Code::NotFound, QStringLiteral("job %1 not found").arg(id));
    m_known.insert(id);
    return Ok{};
}

QList<Job> JobStore::jobs(const JobFilter &filter) const
{
    return page(filter).value_or({});
}

Result<QList<Job>> JobStore::page(const JobFilter &filter) const
{
    QStringList where;
    QVariantList values;
    if (!filter.statuses.isEmpty()) {
        QStringList marks;
        for (auto s : filter.statuses) {
            marks << QStringLiteral("?");
            values << model::toString(s);
        }
        where << QStringLiteral("status IN (") + marks.join(u',') + u')';
    }
    if (filter.backend) {
        where << QStringLiteral("backend = ?");
        values << model::toString(*filter.backend);
    }
    if (!filter.text.isEmpty()) {
        const QString contains = likePattern(filter.text);
        where << QStringLiteral("(id LIKE ? ESCAPE '\\' OR LOWER(kind) LIKE LOWER(?) ESCAPE '\\' OR "
                                "LOWER(params) LIKE LOWER(?) ESCAPE '\\' OR LOWER(error) LIKE LOWER(?) ESCAPE '\\')");
        values << contains.mid(1) << contains << contains << contains;
    }
    if (!filter.beforeId.isEmpty()) {
        // Keyset paging on submission order: stable while new jobs arrive.
        where << QStringLiteral("queue_seq < (SELECT queue_seq FROM jobs WHERE id = ?)");
        values << filter.beforeId;
    }
    QString sql = QStringLiteral("SELECT ") + kJobColumns + QStringLiteral(" FROM jobs");
    if (!where.isEmpty())
        sql += QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND "));
    sql += QStringLiteral(" ORDER BY queue_seq DESC LIMIT %1").arg(qBound(1, filter.limit, 100000));
    return jobList(sql, values);
}

Result<QList<Job>> JobStore::jobList(const QString &sql, const QVariantList &values) const
{
    QList<Job> out;
    auto q = m_db->run(sql, values, "listing jobs");
    if (!q)
        return unavailable(q.error());
    while (q.value().next())
        out.append(jobFromQuery(q.value()));
    return out;
}

QList<Job> JobStore::nextQueued(model::Backend backend, int limit) const
{
    return jobList(QStringLiteral("SELECT ") + kJobColumns +
                       QStringLiteral(" FROM jobs WHERE status = 'queued' AND backend = ? "
                                      "ORDER BY priority DESC, queue_seq ASC LIMIT ?"),
                   {model::toString(backend), limit})
        .value_or({});
}

QList<Job> JobStore::withStatus(const QList<JobStatus> &statuses) const
{
    JobFilter f;
    f.statuses = statuses;
    f.limit = 100000;
    return jobs(f);
}

QList<Job> JobStore::retriesOf(const QString &id) const
{
    return jobList(QStringLiteral("SELECT ") + kJobColumns +
                       QStringLiteral(" FROM jobs WHERE retry_of = ? ORDER BY queue_seq"),
                   {id})
        .value_or({});
}

QHash<JobStatus, int> JobStore::countsByStatus() const
{
    auto counts = statusCounts();
    if (!counts)
        qCWarning(lcStore).noquote() << counts.error().detail; // the counts are for display only
    return counts.value_or(QHash<JobStatus, int>{});
}

Result<QHash<JobStatus, int>> JobStore::statusCounts() const
{
    auto q = m_db->run(QStringLiteral("SELECT status, COUNT(*) FROM jobs GROUP BY status"), {}, "counting jobs");
    if (!q)
        return q.error();
    QHash<JobStatus, int> out;
    while (q.value().next())
        if (auto s = model::jobStatusFromString(q.value().value(0).toString()))
            out.insert(*s, q.value().value(1).toInt());
    return out;
}

Result<Job> JobStore::transition(const QString &id, JobStatus to, const JobPatch &patch)
{
    const auto current = job(id);
    if (!current)
        return current.error();
    if (!model::canTransition(current->status, to))
        return Error::make(Code::Conflict, QStringLiteral("job %1 cannot go from %2 to %3")
                                               .arg(id, model::toString(current->status), model::toString(to)));
    const QString now = nowIso();
    QStringList sets{QStringLiteral("status = ?"), QStringLiteral("updated_at = ?")};
    QVariantList values{model::toString(to), now};
    if (to == JobStatus::Running) {
        sets << QStringLiteral("started_at = ?");
        values << now;
    }
    if (model::isTerminal(to)) {
        sets << QStringLiteral("finished_at = ?");
        values << now;
        if (to == JobStatus::Completed) {
            sets << QStringLiteral("progress = 100");
        }
    }
    addPatch(patch, sets, values);
    // Compare-and-set on the old status: a concurrent writer (another node, a webhook racing a poll)
    // makes this a conflict instead of a lost update.
    values << id << model::toString(current->status);
    const QString fenced = fence(id, values);
    const auto q = m_db->run(QStringLiteral("UPDATE jobs SET ") + sets.join(QStringLiteral(", ")) +
                                 QStringLiteral(" WHERE id = ? AND status = ?") + fenced,
                             values, "changing a job's status");
    if (!q)
        return q.error();
    if (q.value().numRowsAffected() != 1) {
        if (checkFenced(id))
            return Error::make(Code::Conflict, QStringLiteral("job %1 was taken over by another node").arg(id));
        return Error::make(Code::Conflict, QStringLiteral("job %1 changed status concurrently").arg(id));
    }
    if (model::isTerminal(to))
        m_claims.remove(id);
    return changed(id);
}

Result<Job> JobStore::update(const QString &id, const JobPatch &patch)
{
    QStringList sets{QStringLiteral("updated_at = ?")};
    QVariantList values{nowIso()};
    addPatch(patch, sets, values);
    values << id;
    const QString fenced = fence(id, values);
    const auto q = m_db->run(QStringLiteral("UPDATE jobs SET ") + sets.join(QStringLiteral(", ")) +
                                 QStringLiteral(" WHERE id = ?") + fenced,
                             values, "updating a job");
    if (!q)
        return q.error();
    if (q.value().numRowsAffected() != 1) {
        if (checkFenced(id))
            return Error::make(Code::Conflict, QStringLiteral("job %1 was taken over by another node").arg(id));
        return Error::make(Code::NotFound, QStringLiteral("job %1 not found").arg(id));
    }
    return changed(id);
}

Status JobStore::upsertArtifact(const model::Artifact &a)
{
    const auto q = m_db->run(
        QStringLiteral(
            "INSERT INTO artifacts (job_id, name, size, sha256, mime, source_url, created_at, storage, node) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, name) DO UPDATE SET "
            "size = excluded.size, sha256 = excluded.sha256, mime = excluded.mime, "
            // A rescan of the directory must not forget where a downloaded result came from.
            "source_url = COALESCE(excluded.source_url, artifacts.source_url), created_at = excluded.created_at, "
            // Nor drop a database copy of a file that did not change.
            "storage = CASE WHEN artifacts.storage = 'database' AND artifacts.sha256 = excluded.sha256 AND "
            "artifacts.size = excluded.size THEN artifacts.storage ELSE excluded.storage END, "
            "node = COALESCE(excluded.node, artifacts.node)"),
        {a.jobId, a.name, a.size, a.sha256, a.mime, nullable(a.sourceUrl),
         model::isoUtc(a.createdAt.isValid() ? a.createdAt : QDateTime::currentDateTimeUtc()), a.storage,
         nullable(a.node)},
        "recording an artifact");
    if (!q)
        return q.error();
    return Ok{};
}

namespace {

const QString kArtifactColumns =
    QStringLiteral("job_id, name, size, sha256, mime, source_url, created_at, storage, node");

model::Artifact artifactFromQuery(const QSqlQuery &q)
{
    model::Artifact a;
    a.jobId = q.value(0).toString();
    a.name = q.value(1).toString();
    a.size = q.value(2).toLongLong();
    a.sha256 = q.value(3).toString();
    a.mime = q.value(4).toString();
    a.sourceUrl = q.value(5).toString();
    a.createdAt = parseTime(q.value(6));
    a.storage = q.value(7).toString();
    a.node = q.value(8).toString();
    return a;
}

} // namespace

QList<model::Artifact> JobStore::artifacts(const QString &jobId) const
{
    return artifactList(jobId).value_or({});
}

Result<QList<model::Artifact>> JobStore::artifactList(const QString &jobId) const
{
    auto r = m_db->run(QStringLiteral("SELECT ") + kArtifactColumns +
                           QStringLiteral(" FROM artifacts WHERE job_id = ? ORDER BY name"),
                       {jobId}, "listing artifacts");
    QList<model::Artifact> out;
    if (!r)
        return unavailable(r.error());
    while (r.value().next())
        out.append(artifactFromQuery(r.value()));
    return out;
}

std::optional<model::Artifact> JobStore::artifact(const QString &jobId, const QString &name) const
{
    return artifactRow(jobId, name).value_or(std::nullopt);
}

Result<std::optional<model::Artifact>> JobStore::artifactRow(const QString &jobId, const QString &name) const
{
    auto r = m_db->run(QStringLiteral("SELECT ") + kArtifactColumns +
                           QStringLiteral(" FROM artifacts WHERE job_id = ? AND name = ?"),
                       {jobId, name}, "reading an artifact");
    if (!r)
        return unavailable(r.error());
    if (!r.value().next())
        return std::optional<model::Artifact>();
    return std::optional<model::Artifact>(artifactFromQuery(r.value()));
}

Result<QByteArray> JobStore::artifactChunk(const QString &jobId, const QString &name, qint64 chunk) const
{
    return ArtifactChunks(m_db).chunk(ArtifactKey{jobId, name}, chunk);
}

} // namespace cd::store
