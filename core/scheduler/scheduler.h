#pragma once

#include "common/result.h"
#include "model/job.h"
#include "runners/runner.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <memory>

class QTimer;

namespace cd::store {
class JobStore;
struct ClaimedJob;
} // namespace cd::store
namespace cd::logs {
class LogBus;
}
namespace cd::artifacts {
class ArtifactStore;
}

namespace cd::scheduler {

// The job service: create, cancel and retry jobs; hand queued jobs to runners within each backend's
// concurrency limit; apply timeouts and automatic retries; recover after a restart. Every call
// answers at once: work happens on the event loop.
class Scheduler : public QObject
{
    Q_OBJECT
public:
    Scheduler(store::JobStore *jobs, logs::LogBus *bus, artifacts::ArtifactStore *artifacts, QObject *parent = nullptr);
    ~Scheduler() override;

    void addRunner(runners::Runner *runner, int slots);
    void setSlots(model::Backend backend, int slots);
    int slots(model::Backend backend) const;
    bool hasBackend(model::Backend backend) const;
    // What an operator has to configure to use a backend that is off.
    static QString notConfiguredMessage(model::Backend backend);
    // Base delay of automatic retries (doubled per attempt, capped at a minute).
    void setRetryDelayMs(int ms) { m_retryDelayMs = ms; }
    // Who runs the jobs this scheduler starts (recorded on each job, and the name its claims carry).
    // Restart recovery only touches this node's jobs; other nodes' jobs are the leader's (rescue()).
    void setNode(const QString &node);
    QString node() const { return m_node; }
    // Active jobs of a backend across all nodes; 0 = no limit beyond each node's slots.
    void setGlobalSlots(model::Backend backend, int slots);
    // Off while this node cannot heartbeat: a node others may declare dead takes no new work.
    void setClaiming(bool on);
    bool claiming() const { return m_claiming; }
    // How often queued work and cancel requests made through other nodes are looked for, besides
    // the events of this process: needed when nodes share a database. 0 (the default) = only on
    // this process's own events.
    void setPollIntervalMs(int ms);

    Result<model::Job> submit(const model::JobSpec &spec);
    // What submit checks before it stores anything: the backend is configured and accepts the spec.
    Status validate(const model::JobSpec &spec) const;
    // `by` names who asked ("the operator", "API client 10.0.0.5"); the log says "cancelled by …".
    Result<model::Job> cancel(const QString &jobId, const QString &by = {});
    Result<model::Job> retry(const QString &jobId);

    // Start-up: local jobs left active become failed "interrupted by restart" (and are retried if
    // attempts remain); jobs left cancelling become cancelled. The files such a job left in its
    // output directory become its artifacts. Call once, before start().
    void recover();
    void start();
    // Shutdown: refuse new jobs, stop runners, record the files of the local jobs that were stopped.
    // Active jobs are left for recovery.
    void stop();

    int running(model::Backend backend) const;
    // Where a worker posts this job's log lines (token included), from its backend; empty when the
    // backend is not configured here.
    QString callbackUrl(const model::Job &job) const;

    // Leader: settles the jobs of nodes that stopped heartbeating. Local work failed "node lost"
    // (retried per policy on whichever node claims the retry); remote work is re-attached here
    // through its stored remote id, never submitted again.
    void rescue(const QList<store::ClaimedJob> &orphans);
    // Drops the jobs another node has taken over from this one (see JobStore::lostClaims).
    void checkClaims();

Q_SIGNALS:
    void jobFinished(const cd::model::Job &job);

private:
    void schedulePump();
    void pump();
    void onStarted(const QString &jobId);
    void onFinished(const QString &jobId, const runners::RunOutcome &outcome);
    void armTimeout(const model::Job &job);
    void maybeAutoRetry(const model::Job &job);
    // Lists the files in a job's output directory as its artifacts, and says so in its log.
    void recordArtifacts(const QString &jobId);
    Result<model::Job> createAttempt(const model::Job &from);
    void claimFor(model::Backend backend, runners::Runner *runner);
    // Work that goes on elsewhere (remote, or an external worker) and can be followed from here.
    bool followable(const model::Job &job) const;
    // Takes over such a job (new claim, this node) and has its runner follow it again.
    bool follow(const store::ClaimedJob &held);
    // Ends a job whose worker died with its node: cancelled if it was being cancelled, else failed
    // with `why` and retried per policy.
    void settle(const store::ClaimedJob &held, const QString &why, const QString &cancelledWhy);
    // Stops the work of jobs this node runs that were cancelled through another node.
    void applyCancels();
    // Another node holds this job now: stop its local work and write nothing more for it.
    void abandon(const QString &jobId);

    store::JobStore *m_jobs;
    logs::LogBus *m_bus;
    artifacts::ArtifactStore *m_artifacts;
    QHash<model::Backend, QPointer<runners::Runner>> m_runners;
    QHash<model::Backend, int> m_slots;
    QHash<QString, model::Backend> m_inFlight; // jobs handed to a runner
    QSet<QString> m_slotless;                  // of those, the ones holding no slot
    static constexpr int kSlotlessLookahead = 50;
    QHash<QString, std::shared_ptr<QTimer>> m_timeouts;
    QSet<QString> m_timedOut;
    QSet<QString> m_abandoned;
    QSet<QString> m_cancelSent;            // cancel requests seen in the database and passed to the runner
    QHash<QString, QString> m_cancelledBy; // who asked for a cancel made here, until the job ends
    QHash<model::Backend, int> m_globalSlots;
    QTimer *m_poll = nullptr;
    int m_pollMs = 0;
    bool m_claiming = true;
    bool m_accepting = true;
    bool m_started = false;
    bool m_pumpQueued = false;
    int m_retryDelayMs = 2000;
    QString m_node;
};

} // namespace cd::scheduler
