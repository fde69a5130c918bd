#include "chunkdevice.h"

#include "store/artifactchunks.h"
#include "store/jobstore.h"

#include <cstring>

namespace cd::artifacts {

using store::ArtifactChunks;

ChunkDevice::ChunkDevice(store::JobStore *jobs, QString jobId, QString name, qint64 size, QObject *parent)
    : QIODevice(parent), m_jobs(jobs), m_jobId(std::move(jobId)), m_name(std::move(name)), m_size(size)
{}

qint64 ChunkDevice::readData(char *data, qint64 maxSize)
{
    const qint64 at = pos();
    if (at >= m_size || maxSize <= 0)
        return 0;
    const qint64 no = at / ArtifactChunks::kChunkBytes;
    if (no != m_chunkNo) {
        m_chunk.clear();
        m_chunkNo = -1;
        auto chunk = m_jobs->artifactChunk(m_jobId, m_name, no);
        if (!chunk) {
            setErrorString(chunk.error().detail);
            return -1;
        }
        m_chunk = std::move(chunk).value();
        m_chunkNo = no;
    }
    const qint64 offset = at - no * ArtifactChunks::kChunkBytes;
    const qint64 n = qMin(maxSize, static_cast<qint64>(m_chunk.size()) - offset);
    if (n <= 0) {
        setErrorString(
            QStringLiteral("chunk %1 of artifact '%2' is shorter than its place in the file").arg(no).arg(m_name));
        return -1;
    }
    std::memcpy(data, m_chunk.constData() + offset, static_cast<size_t>(n));
    return n;
}

} // namespace cd::artifacts
