#pragma once

#include "common/result.h"
#include "jobfilter.h"
#include "model/artifact.h"
#include "model/job.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <optional>

class QSqlQuery;

namespace cd::store {

class Database;

// A job some node holds, with the claim number that node got when it took it.
struct ClaimedJob
{
    model::Job job;
    qint64 claim = 0;
};

// Jobs and artifacts. Every status change goes through transition(), which enforces the table in
// model/jobstatus.cpp with a compare-and-set UPDATE (safe when several nodes share a database).
// Fencing: a job this node claimed is written only while it still holds that claim (same node, same
// claim number); a write that finds the job taken over fails and emits fencedOut().
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
    // Reads the job back and emits jobChanged() (for a change another store wrote, e.g. the log
    // writer's progress).
    Result<model::Job> publishChange(const QString &id) { return changed(id); }
    QHash<model::JobStatus, int> countsByStatus() const;
    // The same, telling an unreadable database (Unavailable) from no jobs.
    Result<QHash<model::JobStatus, int>> statusCounts() const;
    // The attempts made as retries of this job (retry_of = id).
    QList<model::Job> retriesOf(const QString &id) const;

    Result<model::Job> transition(const QString &id, model::JobStatus to, const JobPatch &patch = {});
    Result<model::Job> update(const QString &id, const JobPatch &patch);

    // This node's name, written on the jobs it claims.
    void setNode(const QString &node) { m_node = node; }
    QString node() const { return m_node; }
    // Takes up to `limit` queued jobs of a backend for this node in one statement (queued →
    // starting, node = this node, claim + 1). `globalLimit` > 0 caps the backend's active jobs
    // across all nodes; claims under such a cap are serialised so two nodes cannot both take the
    // last place.
    Result<QList<model::Job>> claim(model::Backend backend, int limit, int globalLimit = 0);
    // Claims one queued job by id (a job that needs no slot, found past the free ones).
    Result<model::Job> claimOne(const QString &id);
    // Active jobs (starting, running, cancelling) whose node is not among the nodes that
    // heartbeat at or after `aliveSince` (database clock, ISO text).
    Result<QList<ClaimedJob>> orphans(const QString &aliveSince) const;
    // Active jobs of `node`, and those with no node (written before nodes were recorded).
    Result<QList<ClaimedJob>> heldBy(const QString &node) const;
    // Moves a job away from the node that held it (fenced on that node and claim): claim + 1, and
    // `to` / `patch` applied. With `adopt`, this node holds it from now on.
    Result<model::Job> takeOver(const ClaimedJob &held, std::optional<model::JobStatus> to, const JobPatch &patch,
                                bool adopt);
    // Of the jobs this node holds, those that another node has taken over since; they are
    // forgotten here.
    QStringList lostClaims();
    // This node's jobs that someone asked to cancel (status cancelling), perhaps through another node.
    QStringList cancelRequested() const;
    // The claim is no longer needed (the runner let go of the job without a final write).
    void release(const QString &id) { m_claims.remove(id); }
    // The job was deleted (retention): nothing cached about it may answer for it any more.
    void forget(const QString &id)
    {
        m_known.remove(id);
        m_claims.remove(id);
    }

    // Records an artifact or updates its row; a row that says its bytes are in the database keeps
    // saying so while the file's size and sha256 are unchanged.
    Status upsertArtifact(const model::Artifact &artifact);
    Result<QList<model::Artifact>> artifactList(const QString &jobId) const;
    QList<model::Artifact> artifacts(const QString &jobId) const; // empty on failure (logged)
    // nullopt when the job has no such artifact; Unavailable when the database cannot be read.
    Result<std::optional<model::Artifact>> artifactRow(const QString &jobId, const QString &name) const;
    std::optional<model::Artifact> artifact(const QString &jobId, const QString &name) const; // nullopt on failure

    // Chunk `chunk` of an artifact kept in the database (ArtifactChunks::chunk).
    Result<QByteArray> artifactChunk(const QString &jobId, const QString &name, qint64 chunk) const;

Q_SIGNALS:
    void jobChanged(const cd::model::Job &job);
    void jobAdded(const cd::model::Job &job);
    // A write to a job this node held found it taken over by another node.
    void fencedOut(const QString &jobId);

private:
    Result<model::Job> reload(const QString &id) const;
    Result<QList<model::Job>> jobList(const QString &sql, const QVariantList &values) const;
    Result<model::Job> changed(const QString &id); // reload + jobChanged
    // " AND node = ? AND claim = ?" when this node holds the job, else empty.
    QString fence(const QString &id, QVariantList &values) const;
    // After a fenced write changed nothing: true (and fencedOut()) when the job is no longer ours.
    bool checkFenced(const QString &id);
    QList<model::Job> claimedList(QSqlQuery &q);
    Result<QList<ClaimedJob>> activeWhere(const QString &condition, const QVariantList &values) const;

    Database *m_db;
    // Saves a query on every log callback. Only retention deletes jobs, and it calls forget().
    mutable QSet<QString> m_known;
    QString m_node;
    QHash<QString, qint64> m_claims; // jobs this node holds → their claim number
};

} // namespace cd::store
