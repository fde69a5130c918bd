#pragma once

#include "common/result.h"
#include "model/artifact.h"

#include <QString>

namespace cd::store {
class JobStore;
}

namespace cd::artifacts {

// Per-job directories under <data>/jobs/<id>/: `output/` is what the worker writes (and what becomes
// the job's artifacts), `params.json` is the job's params for `{params_file}`.
class ArtifactStore
{
public:
    ArtifactStore(QString root, store::JobStore *jobs);

    QString jobDir(const QString &jobId) const;
    QString outputDir(const QString &jobId) const;
    QString paramsFile(const QString &jobId) const;
    Status prepare(const QString &jobId) const; // creates the directories
    // Deletes a job's directory and everything in it (the job itself was deleted); true when it is
    // gone or never existed.
    bool removeJobDir(const QString &jobId) const;

    // Records every regular file in the output directory as an artifact (size, sha256, mime).
    Result<QList<model::Artifact>> collect(const QString &jobId) const;

    // Maps an artifact name from a URL to a file inside the job's output directory; refuses
    // anything that would step outside it.
    Result<QString> resolve(const QString &jobId, const QString &name) const;

    // A name safe to use as a file in the output directory (no separators, no dot-dot, no control
    // characters); used for downloaded results.
    static QString sanitiseName(const QString &name);

private:
    QString m_root;
    store::JobStore *m_jobs;
};

} // namespace cd::artifacts
