#include "artifactcopier.h"

#include "artifactstore.h"
#include "common/logging.h"
#include "store/database.h"
#include "store/sqldialect.h"

#include <QFile>
#include <QTimer>

namespace cd::artifacts {

using store::ArtifactChunks;
using store::ArtifactKey;

ArtifactCopier::ArtifactCopier(const ArtifactStore *files, QString node, QObject *parent)
    : QObject(parent), m_files(files), m_node(std::move(node)), m_step(new QTimer(this)), m_retry(new QTimer(this))
{
    // A timer, not a posted call: timers fire only after the events already waiting.
    m_step->setSingleShot(true);
    m_step->setInterval(0);
    connect(m_step, &QTimer::timeout, this, &ArtifactCopier::step);
    m_retry->setInterval(kRetryIntervalMs);
    connect(m_retry, &QTimer::timeout, this, &ArtifactCopier::retryPending);
}

ArtifactCopier::~ArtifactCopier()
{
    if (m_chunks)
        m_chunks->abort();
}

Status ArtifactCopier::open(const QString &location, const QString &applicationName)
{
    m_db = std::make_unique<store::Database>();
    if (auto st = m_db->open(location, applicationName); !st)
        return st;
    m_chunks = std::make_unique<ArtifactChunks>(m_db.get());
    m_yield = m_db->dialect().name() == u"postgresql";
    return Ok{};
}

void ArtifactCopier::start()
{
    m_retry->start();
    retryPending();
}

bool ArtifactCopier::idle() const
{
    return !m_task && m_queue.isEmpty();
}

bool ArtifactCopier::queued(const ArtifactKey &key) const
{
    auto same = [&key](const Task &t) { return t.key.jobId == key.jobId && t.key.name == key.name; };
    return (m_task && same(*m_task)) || std::any_of(m_queue.cbegin(), m_queue.cend(), same);
}

void ArtifactCopier::enqueue(const ArtifactKey &key, const QString &path)
{
    if (!m_chunks || queued(key))
        return;
    m_queue.append(Task{key, path});
    if (!m_task)
        m_step->start();
}

void ArtifactCopier::retryPending()
{
    if (!m_chunks)
        return;
    const auto due = m_chunks->pendingOf(m_node, kRetryBatch);
    if (!due) {
        qCWarning(lcArtifacts).noquote() << "cannot look for artifact copies still due:" << due.error().detail;
        return;
    }
    for (const ArtifactKey &key : due.value()) {
        if (queued(key))
            continue;
        const auto path = m_files->resolve(key.jobId, key.name);
        if (path) {
            enqueue(key, path.value());
            continue;
        }
        // Nothing left to copy: other nodes must not wait for it.
        qCWarning(lcArtifacts).noquote() << QStringLiteral("artifact '%1' of job %2 was to be copied into the database "
                                                           "but its file is gone: %3")
                                                .arg(key.name, key.jobId, path.error().detail);
        m_chunks->setStorage(key, QStringLiteral("disk"));
    }
}

void ArtifactCopier::step()
{
    if (!m_task && !startNext())
        return;
    // SQLite: the whole copy now (see the class comment); PostgreSQL: one chunk per turn.
    while (copyChunk())
        if (m_yield) {
            m_step->start();
            return;
        }
    if (!m_queue.isEmpty())
        m_step->start();
}

bool ArtifactCopier::startNext()
{
    while (!m_queue.isEmpty()) {
        auto task = std::make_unique<Task>(m_queue.takeFirst());
        // Already copied (a rescan of an unchanged file), or no longer meant for the database.
        const auto storage = m_chunks->storage(task->key);
        if (storage && storage.value() != u"pending") {
            Q_EMIT copied(task->key.jobId, task->key.name, storage.value() == u"database");
            continue;
        }
        if (!storage && storage.error().code == Error::Code::NotFound)
            continue;
        auto file = std::make_unique<QFile>(task->path);
        if (!file->open(QIODevice::ReadOnly)) {
            qCWarning(lcArtifacts).noquote() << QStringLiteral("cannot read %1 to copy it into the database: %2")
                                                    .arg(task->path, file->errorString());
            Q_EMIT copied(task->key.jobId, task->key.name, false);
            continue;
        }
        if (auto st = m_chunks->begin(task->key); !st) {
            qCWarning(lcArtifacts).noquote() << "artifact copy put off:" << st.error().detail;
            Q_EMIT copied(task->key.jobId, task->key.name, false);
            // The database is likely down: the rest waits for the retry as well.
            m_queue.clear();
            return false;
        }
        m_task = std::move(task);
        m_file = std::move(file);
        m_hash.reset();
        m_nextChunk = 0;
        m_bytes = 0;
        m_clock.start();
        return true;
    }
    return false;
}

bool ArtifactCopier::copyChunk()
{
    const QByteArray piece = m_file->read(ArtifactChunks::kChunkBytes);
    if (piece.isEmpty()) {
        if (!m_file->atEnd()) {
            endCurrent(false, QStringLiteral("read failed: ") + m_file->errorString());
            return false;
        }
        const auto done = m_chunks->finish(m_task->key, m_bytes, QString::fromLatin1(m_hash.result().toHex()));
        endCurrent(done.ok(), done ? QString() : done.error().detail);
        return false;
    }
    m_hash.addData(piece);
    if (auto st = m_chunks->put(m_task->key, m_nextChunk, piece); !st) {
        endCurrent(false, st.error().detail);
        return false;
    }
    ++m_nextChunk;
    m_bytes += piece.size();
    return true;
}

void ArtifactCopier::endCurrent(bool ok, const QString &why)
{
    m_chunks->abort(); // nothing after a commit; a rollback otherwise
    const ArtifactKey key = m_task->key;
    const double seconds = static_cast<double>(m_clock.nsecsElapsed()) / 1e9;
    if (ok)
        qCInfo(lcArtifacts).noquote() << QStringLiteral("copied artifact '%1' of job %2 into the database: %3 bytes "
                                                        "in %4 s (%5 MiB/s)")
                                             .arg(key.name, key.jobId)
                                             .arg(m_bytes)
                                             .arg(seconds, 0, 'f', 3)
                                             .arg(seconds > 0 ? static_cast<double>(m_bytes) / 1048576.0 / seconds : 0,
                                                  0, 'f', 1);
    else
        qCWarning(lcArtifacts).noquote() << QStringLiteral("artifact '%1' of job %2 stays on this node's disk for now; "
                                                           "its copy into the database is tried again later: %3")
                                                .arg(key.name, key.jobId, why);
    m_task.reset();
    m_file.reset();
    Q_EMIT copied(key.jobId, key.name, ok);
}

} // namespace cd::artifacts
