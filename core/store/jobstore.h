#pragma once

#include "common/result.h"
#include "jobfilter.h"
#include "model/artifact.h"
#include "model/job.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <optional>

namespace cd::store {

class Database;

// Jobs and artifacts. Every status change goes through transition(), which enforces the table in
// model/jobstatus.cpp with a compare-and-set UPDATE (safe when several nodes share a database).
class JobStore : public QObject
{
    Q_OBJECT
public:
    explicit JobStore(Database *db, QObject *parent = nullptr);

    Result<model::Job> insert(const model::JobSpec &spec);
    // NotFound for an unknown job; Unavailable (logged) when the database cannot be read, so a
    // failing database is never mistaken for a missing job.
    Result<model::Job> job(const QString &id) const;
    Status require(const QString &id) const; // as job(), without reading the row
    Result<QList<model::Job>> page(const JobFilter &filter) const;
    // As page(), empty when the database cannot be read (the failure is logged): for views that
    // refresh anyway.
    QList<model::Job> jobs(const JobFilter &filter) const;
    // Queued jobs of one backend in the order they should run.
    QList<model::Job> nextQueued(model::Backend backend, int limit) const;
    QList<model::Job> withStatus(const QList<model::JobStatus> &statuses) const;
    QHash<model::JobStatus, int> countsByStatus() const;
    // The attempts made as retries of this job (retry_of = id).
    QList<model::Job> retriesOf(const QString &id) const;

    Result<model::Job> transition(const QString &id, model::JobStatus to, const JobPatch &patch = {});
    Result<model::Job> update(const QString &id, const JobPatch &patch);

    Status upsertArtifact(const model::Artifact &artifact);
    Result<QList<model::Artifact>> artifactList(const QString &jobId) const;
    QList<model::Artifact> artifacts(const QString &jobId) const; // empty on failure (logged)
    std::optional<model::Artifact> artifact(const QString &jobId, const QString &name) const;

Q_SIGNALS:
    void jobChanged(const cd::model::Job &job);
    void jobAdded(const cd::model::Job &job);

private:
    Result<model::Job> reload(const QString &id) const;
    Result<QList<model::Job>> jobList(const QString &sql, const QVariantList &values) const;
    Result<model::Job> changed(const QString &id); // reload + jobChanged

    Database *m_db;
    // Jobs are never deleted while the process runs, so a hit here saves a query on every log
    // callback.
    mutable QSet<QString> m_known;
};

} // namespace cd::store
