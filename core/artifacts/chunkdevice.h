#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QString>

namespace cd::store {
class JobStore;
}

namespace cd::artifacts {

// An artifact kept in the database, read as a random-access device: each read fetches the one chunk
// it falls in (store::ArtifactChunks::kChunkBytes) and keeps only that chunk, so a download costs
// one chunk of memory whatever the file's size. A chunk that cannot be read fails the read (-1).
class ChunkDevice final : public QIODevice
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChunkDevice)
public:
    ChunkDevice(store::JobStore *jobs, QString jobId, QString name, qint64 size, QObject *parent = nullptr);

    bool isSequential() const override { return false; }
    qint64 size() const override { return m_size; }

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    store::JobStore *m_jobs;
    QString m_jobId;
    QString m_name;
    qint64 m_size;
    qint64 m_chunkNo = -1; // the chunk held in m_chunk
    QByteArray m_chunk;
};

} // namespace cd::artifacts
