#include "scheduler.h"

#include "artifacts/artifactstore.h"
#include "feed/changefeed.h"
#include "logs/logbus.h"
#include "store/jobstore.h"

#include <QLoggingCategory>
#include <QTimer>

namespace cd::scheduler {

Q_LOGGING_CATEGORY(lcScheduler, "crawldeck.scheduler")

using model::Backend;
using model::Job;
using model::JobStatus;
using model::LogLevel;
using runners::RunOutcome;
using Code = Error::Code;

QString Scheduler::notConfiguredMessage(Backend b)
{
    switch (b) {
    case Backend::RunPod:
        return QStringLiteral("the RunPod serverless backend is not configured: set RUNPOD_API_KEY and "
                              "RUNPOD_ENDPOINT_URL (or --runpod-endpoint), or configure it in Settings");
    case Backend::RunPodPod:
        return QStringLiteral("the RunPod pod backend is not configured: set RUNPOD_POD_URL "
                              "(or --runpod-pod-url), or configure it in Settings");
    case Backend::Local: break;
    }
    return QStringLiteral("the local backend is not available");
}

Scheduler::Scheduler(store::JobStore *jobs, logs::LogBus *bus, artifacts::ArtifactStore *artifacts, QObject *parent)
    : QObject(parent), m_jobs(jobs), m_bus(bus), m_artifacts(artifacts), m_poll(new QTimer(this))
{
    // A job queued through another node (same database) may fit a free slot here.
    connect(m_bus->feed(), &feed::ChangeFeed::jobAdded, this, [this](const Job &job) {
        if (job.status == JobStatus::Queued)
            schedulePump();
    });
    connect(m_jobs, &store::JobStore::fencedOut, this, &Scheduler::abandon);
    connect(m_poll, &QTimer::timeout, this, [this] {
        schedulePump();
        applyCancels();
    });
}

void Scheduler::setNode(const QString &node)
{
    m_node = node;
    m_jobs->setNode(node);
}

void Scheduler::setGlobalSlots(Backend backend, int slots)
{
    m_globalSlots.insert(backend, qMax(0, slots));
    schedulePump();
}

void Scheduler::setClaiming(bool on)
{
    if (on == m_claiming)
        return;
    m_claiming = on;
    qCWarning(lcScheduler) << (on ? "claiming work again" : "not claiming work until the heartbeat succeeds");
    schedulePump();
}

void Scheduler::setPollIntervalMs(int ms)
{
    m_pollMs = qMax(0, ms);
    m_poll->stop();
    if (m_pollMs > 0) {
        m_poll->setInterval(m_pollMs);
        if (m_started)
            m_poll->start();
    }
}

Scheduler::~Scheduler() = default;

void Scheduler::addRunner(runners::Runner *runner, int slots)
{
    m_runners.insert(runner->backend(), runner);
    m_slots.insert(runner->backend(), qMax(1, slots));
    connect(runner, &runners::Runner::started, this, &Scheduler::onStarted);
    connect(runner, &runners::Runner::finished, this, &Scheduler::onFinished);
    schedulePump();
}

void Scheduler::setSlots(Backend backend, int slots)
{
    m_slots.insert(backend, qMax(1, slots));
    schedulePump();
}

int Scheduler::slots(Backend backend) const
{
    return m_slots.value(backend, 0);
}

bool Scheduler::hasBackend(Backend backend) const
{
    return !m_runners.value(backend).isNull();
}

int Scheduler::running(Backend backend) const
{
    int n = 0;
    for (auto it = m_inFlight.cbegin(); it != m_inFlight.cend(); ++it)
        n += it.value() == backend && !m_slotless.contains(it.key()) ? 1 : 0;
    return n;
}

Result<Job> Scheduler::submit(const model::JobSpec &spec)
{
    if (!m_accepting)
        return Error::make(Code::Unavailable, QStringLiteral("Crawldeck is shutting down and accepts no new jobs"));
    if (auto st = validate(spec); !st)
        return st.error();
    auto job = m_jobs->insert(spec);
    if (!job)
        return job;
    // Read back from the stored job: the log says what the JSON and the GUI say.
    m_bus->system(job->id, LogLevel::Info,
                  QStringLiteral("queued on %1 (attempt %2 of %3)")
                      .arg(model::toString(spec.backend))
                      .arg(job->attempt)
                      .arg(job->maxAttempts));
    schedulePump();
    return job;
}

Status Scheduler::validate(const model::JobSpec &spec) const
{
    const auto runner = m_runners.value(spec.backend);
    if (!runner)
        return Error::make(Code::Unavailable, notConfiguredMessage(spec.backend));
    return runner->validate(spec);
}

Result<Job> Scheduler::cancel(const QString &jobId, const QString &byWhom)
{
    const QString by = byWhom.isEmpty() ? QStringLiteral("the operator") : byWhom;
    const auto job = m_jobs->job(jobId);
    if (!job)
        return job.error();
    if (model::isTerminal(job->status))
        return Error::make(Code::Conflict,
                           QStringLiteral("job %1 is already %2").arg(jobId, model::toString(job->status)));
    if (job->status == JobStatus::Cancelling)
        return *job;
    auto r = m_jobs->transition(jobId, JobStatus::Cancelling);
    if (!r)
        return r;
    m_bus->system(jobId, LogLevel::Warning, QStringLiteral("cancel requested by ") + by);
    m_cancelledBy.insert(jobId, by);
    if (job->status != JobStatus::Queued && !m_inFlight.contains(jobId) && !job->node.isEmpty() &&
        job->node != m_node) {
        // Another node runs it: that node sees the request and stops its worker (applyCancels());
        // if that node is lost, the leader settles the job as cancelled.
        return r;
    }
    if (job->status == JobStatus::Queued || !m_inFlight.contains(jobId)) {
        // Never handed to a runner: nothing to stop.
        m_cancelledBy.remove(jobId);
        m_bus->system(jobId, LogLevel::Warning, QStringLiteral("job cancelled by ") + by);
        return m_jobs->transition(jobId, JobStatus::Cancelled, store::JobPatch::withError(QStringLiteral("cancelled")));
    }
    if (auto runner = m_runners.value(m_inFlight.value(jobId)))
        runner->cancel(jobId);
    return r;
}

Result<Job> Scheduler::createAttempt(const Job &from)
{
    model::JobSpec spec;
    spec.kind = from.kind;
    spec.backend = from.backend;
    spec.priority = from.priority;
    spec.params = from.params;
    spec.timeoutS = from.timeoutS;
    spec.retryOf = from.id;
    spec.attempt = from.attempt + 1;
    // A manual retry past the budget extends it to this attempt, so no automatic retry follows it.
    spec.maxAttempts = qMax(from.maxAttempts, spec.attempt);
    auto next = submit(spec);
    if (next)
        m_bus->system(from.id, LogLevel::Info,
                      QStringLiteral("retried as job %1 (attempt %2)").arg(next->id).arg(spec.attempt));
    return next;
}

Result<Job> Scheduler::retry(const QString &jobId)
{
    const auto job = m_jobs->job(jobId);
    if (!job)
        return job.error();
    if (!model::isTerminal(job->status) || job->status == JobStatus::Completed)
        return Error::make(Code::Conflict,
                           QStringLiteral("job %1 is %2; only failed, timed-out or cancelled jobs can be retried")
                               .arg(jobId, model::toString(job->status)));
    return createAttempt(*job);
}

bool Scheduler::followable(const Job &job) const
{
    const auto runner = m_runners.value(job.backend);
    // Remote work, or an external worker that may still report (unless it was being cancelled:
    // nothing here could stop it).
    return runner &&
           (job.backend != Backend::Local || (!runner->takesSlot(job) && job.status != JobStatus::Cancelling));
}

bool Scheduler::follow(const store::ClaimedJob &held)
{
    const Job &job = held.job;
    const auto runner = m_runners.value(job.backend);
    const auto mine = m_jobs->takeOver(held, std::nullopt, {}, true);
    if (!runner || !mine)
        return false; // another node settled or took it meanwhile
    m_inFlight.insert(job.id, job.backend);
    if (!runner->takesSlot(job))
        m_slotless.insert(job.id);
    runner->reattach(mine.value());
    return true;
}

void Scheduler::settle(const store::ClaimedJob &held, const QString &why, const QString &cancelledWhy)
{
    const bool cancelling = held.job.status == JobStatus::Cancelling;
    const JobStatus to = cancelling ? JobStatus::Cancelled : JobStatus::Failed;
    if (!cancelling)
        m_bus->system(held.job.id, LogLevel::Error, why);
    // claim + 1: the node that ran it cannot write this job any more, should it come back.
    auto settled = m_jobs->takeOver(held, to, store::JobPatch::withError(cancelling ? cancelledWhy : why), false);
    if (settled && !cancelling)
        maybeAutoRetry(settled.value());
}

void Scheduler::recover()
{
    const auto active = m_jobs->heldBy(m_node);
    if (!active) {
        qCWarning(lcScheduler) << "restart recovery could not read this node's jobs:" << active.error().detail;
        return;
    }
    for (const store::ClaimedJob &held : active.value()) {
        const Job &job = held.job;
        if (job.backend != Backend::Local && !m_runners.value(job.backend)) {
            m_bus->system(job.id, LogLevel::Warning,
                          QStringLiteral("cannot re-attach after restart: ") + notConfiguredMessage(job.backend));
            continue;
        }
        // Work that goes on without us is followed again with its stored remote id.
        if (followable(job)) {
            follow(held);
            continue;
        }
        // A crash gave the worker no chance to report: its files are still in its directory. Its
        // retry gets a directory of its own, so these stay listed under this attempt.
        recordArtifacts(job.id);
        settle(held, QStringLiteral("interrupted by restart"), QStringLiteral("cancelled (settled after restart)"));
    }
}

void Scheduler::start()
{
    m_started = true;
    m_accepting = true;
    if (m_pollMs > 0)
        m_poll->start();
    schedulePump();
}

void Scheduler::stop()
{
    m_accepting = false;
    m_started = false;
    m_poll->stop();
    for (const auto &r : std::as_const(m_runners))
        if (r)
            r->shutdown();
    // A local worker was just stopped and wrote what it had: list its files now, as if it had
    // finished. Remote work goes on and is collected when it ends.
    for (auto it = m_inFlight.cbegin(); it != m_inFlight.cend(); ++it)
        if (it.value() == Backend::Local)
            recordArtifacts(it.key());
    m_inFlight.clear();
    m_slotless.clear();
    m_timeouts.clear();
}

void Scheduler::schedulePump()
{
    if (m_pumpQueued || !m_started || !m_claiming)
        return;
    m_pumpQueued = true;
    QTimer::singleShot(0, this, [this] {
        m_pumpQueued = false;
        pump();
    });
}

void Scheduler::pump()
{
    if (!m_started || !m_claiming)
        return;
    for (auto it = m_runners.cbegin(); it != m_runners.cend(); ++it)
        if (runners::Runner *runner = it.value())
            claimFor(it.key(), runner);
}

void Scheduler::claimFor(Backend backend, runners::Runner *runner)
{
    auto launch = [&](const Job &job) {
        const bool slotless = !runner->takesSlot(job);
        m_inFlight.insert(job.id, backend);
        if (slotless)
            m_slotless.insert(job.id);
        armTimeout(job);
        runner->start(job);
        return slotless;
    };
    // A claimed job that turns out to need no slot leaves its slot free: claim again, a few rounds.
    for (int round = 0; round < 4; ++round) {
        const int free = slots(backend) - running(backend);
        if (free <= 0)
            break;
        const auto claimed = m_jobs->claim(backend, free, m_globalSlots.value(backend, 0));
        if (!claimed) {
            qCWarning(lcScheduler) << "claiming" << model::toString(backend)
                                   << "jobs failed:" << claimed.error().detail;
            return;
        }
        int slotless = 0;
        for (const Job &job : claimed.value())
            slotless += launch(job) ? 1 : 0;
        if (slotless == 0)
            break;
    }
    // Jobs that hold no slot (external workers) start whatever the slots say; look a little past
    // the free slots for them.
    if (slots(backend) - running(backend) > 0)
        return;
    for (const Job &job : m_jobs->nextQueued(backend, kSlotlessLookahead)) {
        if (runner->takesSlot(job))
            continue;
        if (auto claimed = m_jobs->claimOne(job.id))
            launch(claimed.value());
    }
}

void Scheduler::abandon(const QString &jobId)
{
    const auto backend = m_inFlight.constFind(jobId);
    if (backend == m_inFlight.cend())
        return;
    m_abandoned.insert(jobId);
    m_timeouts.remove(jobId);
    if (backend.value() != Backend::Local) {
        // The remote work is the new holder's now: cancelling it would cancel its job. Our runner
        // follows it to its end, and every write it tries is fenced.
        qCWarning(lcScheduler) << "job" << jobId << "was taken over by another node; no longer recording it here";
        return;
    }
    qCWarning(lcScheduler) << "job" << jobId << "was taken over by another node; stopping its work here";
    if (auto runner = m_runners.value(backend.value()))
        runner->cancel(jobId);
}

void Scheduler::applyCancels()
{
    if (m_inFlight.isEmpty())
        return;
    for (const QString &id : m_jobs->cancelRequested()) {
        const auto backend = m_inFlight.constFind(id);
        if (backend == m_inFlight.cend() || m_abandoned.contains(id) || m_cancelSent.contains(id))
            continue;
        m_cancelSent.insert(id);
        if (auto runner = m_runners.value(backend.value()))
            runner->cancel(id);
    }
}

void Scheduler::checkClaims()
{
    for (const QString &id : m_jobs->lostClaims())
        abandon(id);
}

void Scheduler::rescue(const QList<store::ClaimedJob> &orphans)
{
    for (const store::ClaimedJob &held : orphans) {
        const Job &job = held.job;
        const QString lost = QStringLiteral("node %1 lost").arg(job.node.isEmpty() ? QStringLiteral("?") : job.node);
        if (followable(job)) {
            if (follow(held))
                m_bus->system(job.id, LogLevel::Warning, lost + QStringLiteral("; re-attached by node ") + m_node);
            continue;
        }
        // Local work died with its node; its files are on that node's disk.
        qCWarning(lcScheduler) << "settling job" << job.id << "of lost node" << job.node;
        settle(held,
               job.backend == Backend::Local || m_runners.value(job.backend)
                   ? QStringLiteral("node lost")
                   : lost + QStringLiteral("; ") + notConfiguredMessage(job.backend),
               QStringLiteral("cancelled (") + lost + u')');
    }
}

QString Scheduler::callbackUrl(const Job &job) const
{
    // Every backend's workers post to this same server: when the job's own backend is not set up
    // on this node, another one's URL for the job is the same URL.
    if (const auto own = m_runners.value(job.backend); own && !own->callbackUrl(job.id).isEmpty())
        return own->callbackUrl(job.id);
    for (const auto &runner : m_runners)
        if (runner && !runner->callbackUrl(job.id).isEmpty())
            return runner->callbackUrl(job.id);
    return {};
}

void Scheduler::armTimeout(const Job &job)
{
    if (job.timeoutS <= 0)
        return;
    auto timer = std::make_shared<QTimer>();
    timer->setSingleShot(true);
    const QString id = job.id;
    connect(timer.get(), &QTimer::timeout, this, [this, id] {
        if (!m_inFlight.contains(id))
            return;
        m_timedOut.insert(id);
        const auto job = m_jobs->job(id);
        m_bus->system(id, LogLevel::Error,
                      QStringLiteral("timed out after %1 s; stopping it").arg(job ? job->timeoutS : 0));
        if (auto runner = m_runners.value(m_inFlight.value(id)))
            runner->cancel(id);
    });
    timer->start(job.timeoutS * 1000);
    m_timeouts.insert(id, timer);
}

void Scheduler::onStarted(const QString &jobId)
{
    const auto job = m_jobs->job(jobId);
    if (job && job->status == JobStatus::Starting)
        m_jobs->transition(jobId, JobStatus::Running);
}

void Scheduler::onFinished(const QString &jobId, const RunOutcome &outcome)
{
    m_inFlight.remove(jobId);
    m_slotless.remove(jobId);
    m_timeouts.remove(jobId);
    const bool timedOut = m_timedOut.remove(jobId);
    const QString cancelledBy = m_cancelledBy.take(jobId);
    m_cancelSent.remove(jobId);
    schedulePump();
    if (m_abandoned.remove(jobId)) {
        // Another node owns this job now; what ran here is not its outcome.
        qCWarning(lcScheduler) << "job" << jobId << "abandoned here; its outcome is not recorded";
        m_jobs->release(jobId);
        return;
    }

    const auto job = m_jobs->job(jobId);
    if (!job || model::isTerminal(job->status))
        return;

    // Whatever the worker wrote is kept, also when it failed or was cancelled.
    recordArtifacts(jobId);

    store::JobPatch patch;
    patch.exitCode = outcome.exitCode;
    JobStatus target = JobStatus::Failed;
    if (job->status == JobStatus::Cancelling) {
        target = JobStatus::Cancelled;
        patch.error = QStringLiteral("cancelled");
    } else if (timedOut) {
        target = JobStatus::TimedOut;
        patch.error = QStringLiteral("timed out after %1 s").arg(job->timeoutS);
    } else if (outcome.kind == RunOutcome::Kind::TimedOut) {
        target = JobStatus::TimedOut;
        patch.error = outcome.error.isEmpty() ? QStringLiteral("timed out") : outcome.error;
    } else if (outcome.kind == RunOutcome::Kind::Completed) {
        target = JobStatus::Completed;
    } else if (outcome.kind == RunOutcome::Kind::Cancelled) {
        // Stopped from outside without a cancel request (e.g. the pod said so): a failure to the operator.
        patch.error = outcome.error.isEmpty() ? QStringLiteral("stopped by the backend") : outcome.error;
    } else {
        patch.error = outcome.error.isEmpty() ? QStringLiteral("failed") : outcome.error;
    }
    if (job->status == JobStatus::Starting && target == JobStatus::Completed) {
        // A worker so quick that started() and finished() raced: record the run properly.
        m_jobs->transition(jobId, JobStatus::Running);
    }
    // The closing line goes first: stream subscribers end on the status change. An operator's own
    // cancel is a warning, not an error that "First error" would land on.
    const LogLevel closing = target == JobStatus::Completed   ? LogLevel::Success
                             : target == JobStatus::Cancelled ? LogLevel::Warning
                                                              : LogLevel::Error;
    // Who asked is said in the log (the job's error stays "cancelled"); unknown when the request
    // came through another node.
    m_bus->system(jobId, closing,
                  target == JobStatus::Cancelled
                      ? (cancelledBy.isEmpty() ? QStringLiteral("job cancelled")
                                               : QStringLiteral("job cancelled by ") + cancelledBy)
                      : QStringLiteral("job %1%2")
                            .arg(model::toString(target).replace(u'_', u' '),
                                 patch.error ? QStringLiteral(": ") + *patch.error : QString()));
    // Its lines, and the progress and summary they carry, are stored before anyone sees it ended.
    m_bus->flush();
    auto done = m_jobs->transition(jobId, target, patch);
    if (!done) {
        m_bus->system(jobId, LogLevel::Error, QStringLiteral("could not record the outcome: ") + done.error().detail);
        return;
    }
    Q_EMIT jobFinished(done.value());
    if (target == JobStatus::Failed || target == JobStatus::TimedOut)
        maybeAutoRetry(done.value());
}

void Scheduler::recordArtifacts(const QString &jobId)
{
    auto collected = m_artifacts->collect(jobId);
    if (!collected)
        m_bus->system(jobId, LogLevel::Warning,
                      QStringLiteral("could not record artifacts: ") + collected.error().detail);
    else if (!collected->isEmpty())
        m_bus->system(jobId, LogLevel::Info, QStringLiteral("%1 artifact(s) recorded").arg(collected->size()));
}

void Scheduler::maybeAutoRetry(const Job &job)
{
    if (job.attempt >= job.maxAttempts)
        return;
    const int delay = qMin(60000, m_retryDelayMs * (1 << qMin(job.attempt - 1, 10)));
    m_bus->system(job.id, LogLevel::Info,
                  QStringLiteral("attempt %1 of %2 failed; retrying in %3 s")
                      .arg(job.attempt)
                      .arg(job.maxAttempts)
                      .arg(delay / 1000.0));
    const QString id = job.id;
    QTimer::singleShot(delay, this, [this, id] {
        if (const auto j = m_jobs->job(id))
            createAttempt(*j);
    });
}

} // namespace cd::scheduler
