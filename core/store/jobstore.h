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
    std::optional<model::Job> job(const QString &id) const;
    bool exists(const QString &id) const;
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
    QList<model::Artifact> artifacts(const QString &jobId) const;
    std::optional<model::Artifact> artifact(const QString &jobId, const QString &name) const;

Q_SIGNALS:
    void jobChanged(const cd::model::Job &job);
    void jobAdded(const cd::model::Job &job);

private:
    Result<model::Job> reload(const QString &id) const;
    QList<model::Job> jobList(const QString &sql, const QVariantList &values) const;
    Result<model::Job> changed(const QString &id); // reload + jobChanged

    Database *m_db;
    // Jobs are never deleted while the process runs, so a hit here saves a query on every log
    // callback.
    mutable QSet<QString> m_known;
};

} // namespace cd::store
