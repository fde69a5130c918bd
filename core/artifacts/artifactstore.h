#pragma once

#include "common/result.h"
#include "model/artifact.h"

#include <QString>
#include <QStringList>

#include <memory>

namespace cd::store {
class JobStore;
}

namespace cd::artifacts {

class ArtifactCopier;

// Per-job directories under <data>/jobs/<id>/: `output/` is what the worker writes (and what becomes
// the job's artifacts), `params.json` is the job's params for `{params_file}`.
class ArtifactStore
{
public:
    ArtifactStore(QString root, store::JobStore *jobs);
    ~ArtifactStore();
    ArtifactStore(const ArtifactStore &) = delete;
    ArtifactStore &operator=(const ArtifactStore &) = delete;

    // The node whose disk this is; recorded on every artifact row.
    void setNode(const QString &node) { m_node = node; }
    QString node() const { return m_node; }
    // Keeps a copy of every artifact of at most `maxBytes` (0 = any size) in the database at
    // `location`, through a connection of its own, so that every node sharing it can serve it
    // (DESIGN §7). Without this (SQLite: one node), artifacts live on this node's disk only.
    Status copyToDatabase(const QString &location, const QString &applicationName, qint64 maxBytes);
    bool copiesToDatabase() const { return m_copier != nullptr; }
    ArtifactCopier *copier() const { return m_copier.get(); }
    qint64 maxDatabaseBytes() const { return m_maxDatabaseBytes; }

    QString jobDir(const QString &jobId) const;
    QString outputDir(const QString &jobId) const;
    QString paramsFile(const QString &jobId) const;
    Status prepare(const QString &jobId) const; // creates the directories
    // Deletes a job's directory and everything in it (the job itself was deleted); true when it is
    // gone or never existed.
    bool removeJobDir(const QString &jobId) const;

    // The job ids that have a directory on this disk (names that could be no job id are left out).
    QStringList jobDirIds() const;

    // Records every regular file in the output directory as an artifact (size, sha256, mime, this
    // node) and, when copying to the database, queues the copy of each one within the size cap.
    Result<QList<model::Artifact>> collect(const QString &jobId) const;

    // InvalidArgument for an artifact name from a URL that would step outside a job's directory.
    static Status checkName(const QString &name);
    // Maps an artifact name from a URL to a file inside the job's output directory; refuses
    // anything that would step outside it.
    Result<QString> resolve(const QString &jobId, const QString &name) const;

    // A name safe to use as a file in the output directory (no separators, no dot-dot, no control
    // characters); used for downloaded results.
    static QString sanitiseName(const QString &name);

private:
    QString m_root;
    store::JobStore *m_jobs;
    QString m_node;
    std::unique_ptr<ArtifactCopier> m_copier;
    qint64 m_maxDatabaseBytes = 0;
};

} // namespace cd::artifacts
