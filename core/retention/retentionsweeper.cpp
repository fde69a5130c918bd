#include "retentionsweeper.h"

#include "artifacts/artifactstore.h"
#include "common/logging.h"
#include "store/jobstore.h"
#include "store/retention.h"

#include <QFileInfo>
#include <QSet>
#include <QTimer>

namespace cd::retention {

RetentionSweeper::RetentionSweeper(store::Retention *store, store::JobStore *jobs, artifacts::ArtifactStore *artifacts,
                                   QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_jobs(jobs)
    , m_artifacts(artifacts)
    , m_timer(new QTimer(this))
    , m_next(new QTimer(this))
    , m_nextDirs(new QTimer(this))
{
    // A timer, not a posted call: timers fire only after the events already waiting.
    m_next->setSingleShot(true);
    m_next->setInterval(0);
    connect(m_next, &QTimer::timeout, this, &RetentionSweeper::runBatch);
    m_nextDirs->setSingleShot(true);
    m_nextDirs->setInterval(0);
    connect(m_nextDirs, &QTimer::timeout, this, &RetentionSweeper::runDirBatch);
    m_timer->setInterval(kIntervalMs);
    connect(m_timer, &QTimer::timeout, this, [this] {
        sweep();
        sweepDirectories();
    });
}

void RetentionSweeper::start()
{
    m_timer->start();
    sweep();
    sweepDirectories();
}

bool RetentionSweeper::sweepDirectories()
{
    if (m_days == 0 || m_sweepingDirs)
        return false;
    m_sweepingDirs = true;
    m_dirCutoff = QDateTime::currentDateTimeUtc().addDays(-m_days);
    m_dirQueue = m_artifacts->jobDirIds();
    m_sweepDirsRemoved = 0;
    m_nextDirs->start();
    return true;
}

void RetentionSweeper::runDirBatch()
{
    const QStringList batch = m_dirQueue.mid(0, kDirBatch);
    m_dirQueue.remove(0, batch.size());
    const auto existing = m_store->existing(batch);
    if (!existing) {
        qCWarning(lcRetention).noquote() << "job directory sweep stopped, next try in an hour:"
                                         << existing.error().detail;
        finishDirs();
        return;
    }
    const QSet<QString> alive(existing->cbegin(), existing->cend());
    for (const QString &id : batch) {
        if (alive.contains(id))
            continue;
        const QFileInfo dir(m_artifacts->jobDir(id));
        const QFileInfo output(m_artifacts->outputDir(id));
        if (dir.lastModified().toUTC() >= m_dirCutoff ||
            (output.exists() && output.lastModified().toUTC() >= m_dirCutoff))
            continue;
        if (m_artifacts->removeJobDir(id))
            ++m_sweepDirsRemoved;
        else
            qCWarning(lcRetention).noquote() << "cannot remove the directory of deleted job" << id;
    }
    if (m_dirQueue.isEmpty()) {
        finishDirs();
        return;
    }
    m_nextDirs->start();
}

void RetentionSweeper::finishDirs()
{
    m_sweepingDirs = false;
    m_dirQueue.clear();
    m_dirsRemoved += m_sweepDirsRemoved;
    if (m_sweepDirsRemoved > 0)
        qCInfo(lcRetention).noquote()
            << QStringLiteral("removed %1 job directories whose jobs were deleted").arg(m_sweepDirsRemoved);
    Q_EMIT directoriesSwept(m_sweepDirsRemoved);
}

bool RetentionSweeper::sweep()
{
    if (m_days == 0 || m_sweeping || (m_maySweep && !m_maySweep()))
        return false;
    m_sweeping = true;
    // One cutoff for the whole sweep: jobs that age past it meanwhile wait for the next one.
    m_cutoff = QDateTime::currentDateTimeUtc().addDays(-m_days);
    m_sweepJobs = 0;
    m_sweepLines = 0;
    m_sweepBatches = 0;
    m_next->start();
    return true;
}

void RetentionSweeper::runBatch()
{
    const auto purged = m_store->purge(m_cutoff, m_batchSize);
    if (!purged) {
        qCWarning(lcRetention).noquote() << "retention sweep stopped, next try in an hour:" << purged.error().detail;
        finish();
        return;
    }
    for (const QString &id : purged->jobIds) {
        m_jobs->forget(id);
        if (!m_artifacts->removeJobDir(id))
            qCWarning(lcRetention).noquote() << "cannot remove the directory of deleted job" << id;
    }
    const auto n = static_cast<int>(purged->jobIds.size());
    m_sweepJobs += n;
    m_sweepLines += purged->lines;
    m_jobsDeleted += n;
    m_linesDeleted += purged->lines;
    ++m_sweepBatches;
    if (n > 0)
        Q_EMIT jobsPurged(purged->jobIds);
    Q_EMIT batchDone(n);
    if (n < m_batchSize) {
        finish();
        return;
    }
    m_next->start();
}

void RetentionSweeper::finish()
{
    m_sweeping = false;
    if (m_sweepJobs > 0)
        qCInfo(lcRetention).noquote() << QStringLiteral("deleted %1 jobs finished more than %2 days ago and %3 log "
                                                        "lines, in %4 batches")
                                             .arg(m_sweepJobs)
                                             .arg(m_days)
                                             .arg(m_sweepLines)
                                             .arg(m_sweepBatches);
    Q_EMIT sweepFinished(m_sweepJobs, m_sweepLines);
}

} // namespace cd::retention
