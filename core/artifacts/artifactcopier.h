#pragma once

#include "common/result.h"
#include "store/artifactchunks.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <memory>

class QFile;
class QTimer;

namespace cd::store {
class Database;
}

namespace cd::artifacts {

class ArtifactStore;

// Copies artifact files into the database (store::ArtifactChunks) so that every node sharing it can
// serve them. Files are read a chunk at a time; each artifact is one transaction on a connection of
// the copier's own, so a copy under way never mixes with the node's other statements. On PostgreSQL
// the event loop runs between chunks (a 1 GiB file must not stall heartbeats and requests for
// seconds); SQLite, whose writers lock the whole file, gets each copy in one go.
//
// A copy that fails (database down, file changed under it) rolls back and leaves the row `pending`:
// the file stays on this node's disk, which serves it meanwhile, and the copy is tried again every
// kRetryIntervalMs (and at start) until it succeeds. A pending file that has vanished from the disk
// is marked `disk`: nothing is left to copy.
class ArtifactCopier final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ArtifactCopier)
public:
    static constexpr int kRetryIntervalMs = 60 * 1000;
    static constexpr int kRetryBatch = 100;

    ArtifactCopier(const ArtifactStore *files, QString node, QObject *parent = nullptr);
    ~ArtifactCopier() override;

    // Opens the copier's connection to `location` (the node's database).
    Status open(const QString &location, const QString &applicationName);
    // Queues a copy of the recorded artifact `key` from `path` (skipped unless its row is pending).
    void enqueue(const store::ArtifactKey &key, const QString &path);
    // Looks for this node's copies still due now and every kRetryIntervalMs.
    void start();
    void retryPending();
    // Nothing queued or under way.
    bool idle() const;

Q_SIGNALS:
    // A copy ended: in the database (`ok`), or left pending for a later try.
    void copied(const QString &jobId, const QString &name, bool ok);

private:
    struct Task
    {
        store::ArtifactKey key;
        QString path;
    };
    void step();
    bool startNext();
    // One more chunk of the current copy; false when the copy ended (either way).
    bool copyChunk();
    void endCurrent(bool ok, const QString &why = {});
    bool queued(const store::ArtifactKey &key) const;

    const ArtifactStore *m_files;
    QString m_node;
    std::unique_ptr<store::Database> m_db;
    std::unique_ptr<store::ArtifactChunks> m_chunks;
    bool m_yield = false;
    QList<Task> m_queue;
    // The copy under way.
    std::unique_ptr<Task> m_task;
    std::unique_ptr<QFile> m_file;
    QCryptographicHash m_hash{QCryptographicHash::Sha256};
    qint64 m_nextChunk = 0;
    qint64 m_bytes = 0;
    QElapsedTimer m_clock;
    QTimer *m_step;
    QTimer *m_retry;
};

} // namespace cd::artifacts
