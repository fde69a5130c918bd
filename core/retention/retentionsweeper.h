#pragma once

#include <QDateTime>
#include <QObject>
#include <QStringList>

#include <functional>

class QTimer;

namespace cd::store {
class JobStore;
class Retention;
} // namespace cd::store
namespace cd::artifacts {
class ArtifactStore;
}

namespace cd::retention {

// Deletes finished jobs older than the retention period (their lines, artifact rows and chunks, and
// job directory) in batches, each in its own transaction, going back to the event loop between
// batches so a large backlog never stalls the service. Sweeps at start, then every interval.
//
// Only the leader deletes jobs, so the directories other nodes keep for those jobs (their own
// workers' files) are swept by each node itself: a directory under <data>/jobs whose job is no
// longer in the database is removed, in batches as well. Only while retention is on (it is what
// deletes jobs), and only directories untouched since the retention cutoff: a node pointed at the
// wrong database must not lose the files of recent work.
class RetentionSweeper final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetentionSweeper)
public:
    static constexpr int kBatchSize = 500;
    static constexpr int kDirBatch = 200;
    static constexpr int kIntervalMs = 60 * 60 * 1000;

    RetentionSweeper(store::Retention *store, store::JobStore *jobs, artifacts::ArtifactStore *artifacts,
                     QObject *parent = nullptr);

    // 0 keeps everything (the default: an operator's data is deleted only when asked).
    void setDays(int days) { m_days = qMax(0, days); }
    int days() const { return m_days; }
    void setBatchSize(int jobs) { m_batchSize = qMax(1, jobs); }
    // Several nodes on one database: only the leader sweeps, so this asks before every sweep.
    void setMaySweep(std::function<bool()> maySweep) { m_maySweep = std::move(maySweep); }

    // Schedules a sweep now and every kIntervalMs.
    void start();
    // Schedules one sweep; false when there is nothing to do (retention off, not the leader, or a
    // sweep already under way).
    bool sweep();
    bool sweeping() const { return m_sweeping; }
    // Schedules one sweep of this node's job directories; false when retention is off or one is
    // under way. Every node does this, leader or not.
    bool sweepDirectories();
    bool sweepingDirectories() const { return m_sweepingDirs; }
    qint64 directoriesRemoved() const { return m_dirsRemoved; }

    qint64 jobsDeleted() const { return m_jobsDeleted; }
    qint64 linesDeleted() const { return m_linesDeleted; }

Q_SIGNALS:
    void batchDone(int jobs);
    // The jobs one batch deleted, after its transaction committed (the change feed announces them).
    void jobsPurged(const QStringList &ids);
    void sweepFinished(int jobs, qint64 lines);
    void directoriesSwept(int removed);

private:
    void runBatch();
    void finish();
    void runDirBatch();
    void finishDirs();

    store::Retention *m_store;
    store::JobStore *m_jobs;
    artifacts::ArtifactStore *m_artifacts;
    QTimer *m_timer;
    QTimer *m_next; // the next batch, after the event loop has had its turn
    std::function<bool()> m_maySweep;
    int m_days = 0;
    int m_batchSize = kBatchSize;
    bool m_sweeping = false;
    QDateTime m_cutoff;
    int m_sweepJobs = 0;
    qint64 m_sweepLines = 0;
    int m_sweepBatches = 0;
    qint64 m_jobsDeleted = 0;
    qint64 m_linesDeleted = 0;
    QTimer *m_nextDirs;
    bool m_sweepingDirs = false;
    QStringList m_dirQueue;
    QDateTime m_dirCutoff;
    int m_sweepDirsRemoved = 0;
    qint64 m_dirsRemoved = 0;
};

} // namespace cd::retention
