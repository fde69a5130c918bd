#include "scheduler.h"

#include "artifacts/artifactstore.h"
#include "feed/changefeed.h"
#include "logs/logbus.h"
#include "store/jobstore.h"

#include <QTimer>

namespace cd::scheduler {

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
    : QObject(parent), m_jobs(jobs), m_bus(bus), m_artifacts(artifacts)
{
    // A job queued through another node (same database) may fit a free slot here.
    connect(m_bus->feed(), &feed::ChangeFeed::jobAdded, this, [this](const Job &job) {
        if (job.status == JobStatus::Queued)
            schedulePump();
    });
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

Result<Job> Scheduler::cancel(const QString &jobId)
{
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
    m_bus->system(jobId, LogLevel::Warning, QStringLiteral("cancel requested"));
    if (job->status == JobStatus::Queued || !m_inFlight.contains(jobId)) {
        // Never handed to a runner: nothing to stop.
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

void Scheduler::recover()
{
    const auto active = m_jobs->withStatus({JobStatus::Starting, JobStatus::Running, JobStatus::Cancelling});
    for (const Job &job : active) {
        if (!job.node.isEmpty() && !m_node.isEmpty() && job.node != m_node)
            continue; // another node's work
        if (job.backend != Backend::Local) {
            // Remote work goes on without us: follow it again with the stored remote id.
            if (const auto runner = m_runners.value(job.backend)) {
                m_inFlight.insert(job.id, job.backend);
                runner->reattach(job);
            } else {
                m_bus->system(job.id, LogLevel::Warning,
                              QStringLiteral("cannot re-attach after restart: ") + notConfiguredMessage(job.backend));
            }
            continue;
        }
        if (const auto runner = m_runners.value(job.backend);
            runner && !runner->takesSlot(job) && job.status != JobStatus::Cancelling) {
            // Its worker runs elsewhere and may still be reporting: wait for it again.
            m_inFlight.insert(job.id, job.backend);
            m_slotless.insert(job.id);
            runner->reattach(job);
            continue;
        }
        // A crash gave the worker no chance to report: its files are still in its directory. Its
        // retry gets a directory of its own, so these stay listed under this attempt.
        recordArtifacts(job.id);
        if (job.status == JobStatus::Cancelling) {
            m_jobs->transition(job.id, JobStatus::Cancelled,
                               store::JobPatch::withError(QStringLiteral("cancelled (settled after restart)")));
            continue;
        }
        m_bus->system(job.id, LogLevel::Error, QStringLiteral("interrupted by restart"));
        auto failed = m_jobs->transition(job.id, JobStatus::Failed,
                                         store::JobPatch::withError(QStringLiteral("interrupted by restart")));
        if (failed)
            maybeAutoRetry(failed.value());
    }
}

void Scheduler::start()
{
    m_started = true;
    m_accepting = true;
    schedulePump();
}

void Scheduler::stop()
{
    m_accepting = false;
    m_started = false;
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
    if (m_pumpQueued || !m_started)
        return;
    m_pumpQueued = true;
    QTimer::singleShot(0, this, [this] {
        m_pumpQueued = false;
        pump();
    });
}

void Scheduler::pump()
{
    if (!m_started)
        return;
    for (auto it = m_runners.cbegin(); it != m_runners.cend(); ++it) {
        runners::Runner *runner = it.value();
        if (!runner)
            continue;
        int free = slots(it.key()) - running(it.key());
        // Jobs that hold no slot (external workers) start whatever the slots say; look a little
        // past the free slots for them.
        for (const Job &job : m_jobs->nextQueued(it.key(), qMax(0, free) + kSlotlessLookahead)) {
            const bool slotless = !runner->takesSlot(job);
            if (!slotless && free <= 0)
                continue;
            store::JobPatch claim;
            if (!m_node.isEmpty())
                claim.node = m_node;
            auto starting = m_jobs->transition(job.id, JobStatus::Starting, claim);
            if (!starting)
                continue; // cancelled meanwhile, or claimed by another node
            m_inFlight.insert(job.id, it.key());
            if (slotless)
                m_slotless.insert(job.id);
            else
                --free;
            armTimeout(job);
            runner->start(starting.value());
        }
    }
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
    schedulePump();

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
    // The closing line goes first: stream subscribers end on the status change.
    m_bus->system(jobId, target == JobStatus::Completed ? LogLevel::Success : LogLevel::Error,
                  QStringLiteral("job %1%2")
                      .arg(model::toString(target).replace(u'_', u' '),
                           patch.error ? QStringLiteral(": ") + *patch.error : QString()));
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
