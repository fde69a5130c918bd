#include "runpodrunner.h"

#include "artifacts/resultcollector.h"
#include "logs/logbus.h"
#include "store/jobstore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTimer>

#include <QCoro/QCoroTimer>

#include <chrono>

namespace cd::runners {

using model::LogLevel;
using model::LogSource;

struct RunPodRunner::Track
{
    QString jobId;
    QString remoteId;
    QString lastStatus;
    QString lastOutputText;
    bool running = false;
    bool cancelRequested = false;
    bool finishing = false;
    bool polling = false;
    bool warnedUnknown = false;
    int errorStreak = 0;
    QElapsedTimer since;
    QElapsedTimer cancelSince;
};

namespace {
QString valueText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    if (v.isDouble())
        return QString::number(v.toDouble());
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return {};
}
} // namespace

RunPodRunner::RunPodRunner(RunPodRunnerConfig config, RunPodClient *client, store::JobStore *jobs, logs::LogBus *bus,
                           artifacts::ResultCollector *results, QObject *parent)
    : Runner(parent), m_config(std::move(config)), m_client(client), m_jobs(jobs), m_bus(bus), m_results(results)
{}

RunPodRunner::~RunPodRunner()
{
    shutdown();
}

Status RunPodRunner::validate(const model::JobSpec &) const
{
    return Ok{};
}

QJsonObject RunPodRunner::runPayload(const model::Job &job) const
{
    // The input the seed workers read (seed 000/001/002), plus auto_terminate so an idle worker is
    // told to stop billing.
    QJsonObject input{
        {QStringLiteral("job_id"), job.id},
        {QStringLiteral("callback_url"), m_config.callbackUrl ? m_config.callbackUrl(job.id) : QString()},
        {QStringLiteral("data"), job.params.value(QStringLiteral("keywords"))},
        {QStringLiteral("num_domains"), job.params.value(QStringLiteral("domain_count"))},
        {QStringLiteral("params"), job.params},
        {QStringLiteral("auto_terminate"), true},
    };
    QJsonObject payload{{QStringLiteral("input"), input}};
    const QString webhook = m_config.webhookUrl ? m_config.webhookUrl(job.id) : QString();
    if (!webhook.isEmpty())
        payload.insert(QStringLiteral("webhook"), webhook);
    // RunPod's limits: executionTimeout 5 s to 7 days, ttl 10 s to 7 days.
    constexpr qint64 kWeekMs = 7LL * 24 * 3600 * 1000;
    const qint64 execution =
        qBound<qint64>(5000, (job.timeoutS > 0 ? job.timeoutS : m_config.defaultExecutionTimeoutS) * 1000LL, kWeekMs);
    const qint64 ttl = qBound<qint64>(10000, execution + m_config.queueAllowanceS * 1000LL, kWeekMs);
    payload.insert(QStringLiteral("policy"),
                   QJsonObject{{QStringLiteral("executionTimeout"), execution}, {QStringLiteral("ttl"), ttl}});
    return payload;
}

void RunPodRunner::start(const model::Job &job)
{
    auto t = std::make_shared<Track>();
    t->jobId = job.id;
    t->since.start();
    m_tracks.insert(job.id, t);
    QCoro::connect(submit(job), this, [] {});
}

QCoro::Task<> RunPodRunner::submit(model::Job job)
{
    QPointer<RunPodRunner> self(this);
    const QString id = job.id;
    m_bus->system(id, LogLevel::Info,
                  QStringLiteral("submitting to RunPod %1").arg(m_client->config().base.toString()));
    const RunPodReply reply = co_await m_client->run(runPayload(job));
    if (!self || !track(id))
        co_return;
    if (reply.error) {
        finish(id, RunOutcome{RunOutcome::Kind::Failed, std::nullopt,
                              QStringLiteral("RunPod /run failed: ") + reply.error->describe()});
        co_return;
    }
    const QString remoteId = reply.body.value(QStringLiteral("id")).toString();
    if (remoteId.isEmpty()) {
        finish(id, RunOutcome{RunOutcome::Kind::Failed, std::nullopt,
                              QStringLiteral("RunPod /run answered without a job id")});
        co_return;
    }
    auto t = track(id);
    t->remoteId = remoteId;
    t->lastStatus = reply.body.value(QStringLiteral("status")).toString(QStringLiteral("IN_QUEUE"));
    store::JobPatch patch;
    patch.remoteId = remoteId;
    patch.remoteStatus = t->lastStatus;
    m_jobs->update(id, patch);
    m_bus->system(id, LogLevel::Info, QStringLiteral("RunPod job %1: %2").arg(remoteId, t->lastStatus));
    if (t->cancelRequested)
        co_await requestCancel(id);
    if (!self)
        co_return;
    co_await poll(id);
}

void RunPodRunner::reattach(const model::Job &job)
{
    auto t = std::make_shared<Track>();
    t->jobId = job.id;
    t->remoteId = job.remoteId;
    t->lastStatus = job.remoteStatus;
    t->running = job.status == model::JobStatus::Running;
    t->cancelRequested = job.status == model::JobStatus::Cancelling;
    t->since.start();
    t->cancelSince.start();
    m_tracks.insert(job.id, t);
    if (job.remoteId.isEmpty()) {
        // /run may or may not have reached RunPod; without its id there is nothing to follow.
        QTimer::singleShot(0, this, [this, id = job.id] {
            finish(id, RunOutcome{RunOutcome::Kind::Failed, std::nullopt,
                                  QStringLiteral("interrupted by restart before RunPod accepted the job")});
        });
        return;
    }
    m_bus->system(job.id, LogLevel::Info,
                  QStringLiteral("re-attached to RunPod job %1 after restart").arg(job.remoteId));
    if (t->cancelRequested)
        QCoro::connect(requestCancel(job.id), this, [] {});
    QCoro::connect(poll(job.id), this, [] {});
}

QCoro::Task<> RunPodRunner::poll(QString id)
{
    QPointer<RunPodRunner> self(this);
    auto t = track(id);
    if (!t || t->polling)
        co_return;
    t->polling = true;
    int interval = m_config.pollMinMs;
    for (;;) {
        t = track(id);
        if (!t)
            co_return;
        const RunPodReply reply = co_await m_client->status(t->remoteId);
        if (!self || !(t = track(id)))
            co_return;
        if (reply.error) {
            if (reply.error->kind == RunPodError::Kind::NotFound) {
                finish(id,
                       RunOutcome{RunOutcome::Kind::Failed, std::nullopt,
                                  QStringLiteral("RunPod no longer has this job (expired after its retention/TTL)")});
                co_return;
            }
            if (reply.error->kind == RunPodError::Kind::Auth) {
                finish(id, RunOutcome{RunOutcome::Kind::Failed, std::nullopt, reply.error->describe()});
                co_return;
            }
            if (t->errorStreak++ == 0)
                m_bus->system(id, LogLevel::Warning,
                              QStringLiteral("cannot poll RunPod (%1); will keep trying").arg(reply.error->describe()));
        } else {
            if (t->errorStreak > 0)
                m_bus->system(id, LogLevel::Info, QStringLiteral("RunPod answers again"));
            t->errorStreak = 0;
            co_await apply(id, reply.body);
            if (!self || !(t = track(id)))
                co_return;
            if (t->lastStatus == u"IN_PROGRESS") {
                co_await readStream(id);
                if (!self || !(t = track(id)))
                    co_return;
            }
        }
        if (t->cancelRequested && t->cancelSince.elapsed() > m_config.cancelConfirmMs) {
            finish(id, RunOutcome{RunOutcome::Kind::Cancelled, std::nullopt,
                                  QStringLiteral("RunPod did not confirm the cancel in time")});
            co_return;
        }
        interval =
            t->since.elapsed() > m_config.slowAfterMs ? qMin(m_config.pollMaxMs, interval * 3 / 2) : m_config.pollMinMs;
        co_await QCoro::sleepFor(std::chrono::milliseconds(interval));
        if (!self)
            co_return;
    }
}

void RunPodRunner::progressFrom(Track &t, const QJsonValue &output)
{
    // While IN_PROGRESS, `output` carries the worker's latest progress_update value.
    if (output.isUndefined() || output.isNull())
        return;
    if (output.isDouble()) {
        store::JobPatch patch;
        patch.progress = static_cast<int>(output.toDouble());
        m_jobs->update(t.jobId, patch);
        return;
    }
    const QString text =
        output.isObject() && output.toObject().contains(QStringLiteral("progress"))
            ? QStringLiteral("Progress: %1%").arg(output.toObject().value(QStringLiteral("progress")).toDouble())
            : valueText(output);
    if (text == t.lastOutputText)
        return;
    t.lastOutputText = text;
    m_bus->append(t.jobId, LogSource::RunPod, text.split(u'\n'));
}

QCoro::Task<> RunPodRunner::apply(QString id, QJsonObject doc)
{
    QPointer<RunPodRunner> self(this);
    auto t = track(id);
    if (!t || t->finishing)
        co_return;
    const QString status = doc.value(QStringLiteral("status")).toString();
    if (status != t->lastStatus) {
        t->lastStatus = status;
        store::JobPatch patch;
        patch.remoteStatus = status;
        m_jobs->update(id, patch);
        m_bus->system(id, LogLevel::Info, QStringLiteral("RunPod status: %1").arg(status));
    }
    const bool terminal =
        status == u"COMPLETED" || status == u"FAILED" || status == u"CANCELLED" || status == u"TIMED_OUT";
    if ((status == u"IN_PROGRESS" || terminal) && !t->running) {
        t->running = true;
        Q_EMIT started(id);
    }
    if (status == u"IN_QUEUE")
        co_return;
    if (status == u"IN_PROGRESS") {
        progressFrom(*t, doc.value(QStringLiteral("output")));
        co_return;
    }
    if (!terminal) {
        if (!t->warnedUnknown)
            m_bus->system(id, LogLevel::Warning,
                          QStringLiteral("unknown RunPod status '%1'; still polling").arg(status));
        t->warnedUnknown = true;
        co_return;
    }
    t->finishing = true;
    // Chunks the worker yielded after our last /stream call are only handed out by another one:
    // read them before the job ends, or its last lines are lost.
    co_await readStream(id);
    if (!self || !track(id))
        co_return;
    const QJsonValue output = doc.value(QStringLiteral("output"));
    if (!output.isUndefined() && !output.isNull()) {
        // Copy results at once: RunPod keeps them for a limited time only.
        const artifacts::CollectReport report = co_await m_results->collect(id, output);
        if (!self || !track(id))
            co_return;
        store::JobPatch patch;
        if (!report.resultsUrl.isEmpty())
            patch.resultsUrl = report.resultsUrl;
        if (report.summary)
            patch.summary = report.summary;
        m_jobs->update(id, patch);
        if (!report.failed.isEmpty())
            m_bus->system(id, LogLevel::Warning,
                          QStringLiteral("%1 result(s) could not be saved: %2")
                              .arg(report.failed.size())
                              .arg(report.failed.join(QStringLiteral("; "))));
    }
    if (status == u"COMPLETED") {
        finish(id, RunOutcome{RunOutcome::Kind::Completed, std::nullopt, {}});
    } else if (status == u"CANCELLED") {
        finish(id, RunOutcome{RunOutcome::Kind::Cancelled, std::nullopt, QStringLiteral("cancelled at RunPod")});
    } else if (status == u"TIMED_OUT") {
        finish(id, RunOutcome{RunOutcome::Kind::TimedOut, std::nullopt, QStringLiteral("RunPod timed the job out")});
    } else {
        const QString err = valueText(doc.value(QStringLiteral("error")));
        const bool timeout = err.contains(QStringLiteral("executionTimeout"), Qt::CaseInsensitive);
        finish(id, RunOutcome{timeout ? RunOutcome::Kind::TimedOut : RunOutcome::Kind::Failed, std::nullopt,
                              QStringLiteral("RunPod job failed: ") +
                                  (err.isEmpty() ? QStringLiteral("no error given") : err)});
    }
}

QCoro::Task<> RunPodRunner::readStream(QString id)
{
    QPointer<RunPodRunner> self(this);
    auto t = track(id);
    if (!m_config.readStream || !t || t->remoteId.isEmpty())
        co_return;
    const RunPodReply chunks = co_await m_client->stream(t->remoteId);
    if (!self || !track(id))
        co_return;
    QStringList lines;
    for (const QJsonValue &c : chunks.body.value(QStringLiteral("stream")).toArray())
        lines << valueText(c.toObject().value(QStringLiteral("output"))).split(u'\n');
    if (!lines.isEmpty())
        m_bus->append(id, LogSource::RunPod, lines);
}

void RunPodRunner::onWebhook(const QString &jobId, const QJsonObject &statusDoc)
{
    auto t = track(jobId);
    if (!t)
        return; // already settled by polling, or not ours any more
    const QString rid = statusDoc.value(QStringLiteral("id")).toString();
    if (!rid.isEmpty() && !t->remoteId.isEmpty() && rid != t->remoteId)
        return;
    m_bus->system(jobId, LogLevel::Info,
                  QStringLiteral("RunPod webhook: %1").arg(statusDoc.value(QStringLiteral("status")).toString()));
    QCoro::connect(apply(jobId, statusDoc), this, [] {});
}

void RunPodRunner::cancel(const QString &jobId)
{
    auto t = track(jobId);
    if (!t || t->cancelRequested)
        return;
    t->cancelRequested = true;
    t->cancelSince.start();
    if (!t->remoteId.isEmpty())
        QCoro::connect(requestCancel(jobId), this, [] {});
}

QCoro::Task<> RunPodRunner::requestCancel(QString id)
{
    QPointer<RunPodRunner> self(this);
    auto t = track(id);
    if (!t)
        co_return;
    m_bus->system(id, LogLevel::Warning, QStringLiteral("asking RunPod to cancel %1").arg(t->remoteId));
    const RunPodReply reply = co_await m_client->cancel(t->remoteId);
    if (!self || !track(id))
        co_return;
    if (reply.error && reply.error->kind == RunPodError::Kind::NotFound) {
        finish(id, RunOutcome{RunOutcome::Kind::Cancelled, std::nullopt,
                              QStringLiteral("cancelled (RunPod no longer has the job)")});
    } else if (reply.error) {
        m_bus->system(id, LogLevel::Warning, QStringLiteral("RunPod cancel failed: %1").arg(reply.error->describe()));
    } else {
        m_bus->system(id, LogLevel::Info,
                      QStringLiteral("RunPod acknowledged the cancel (%1)")
                          .arg(reply.body.value(QStringLiteral("status")).toString()));
    }
}

void RunPodRunner::finish(const QString &jobId, RunOutcome outcome)
{
    if (!m_tracks.remove(jobId))
        return;
    Q_EMIT finished(jobId, outcome);
}

void RunPodRunner::shutdown()
{
    // Remote jobs keep running at RunPod; restart recovery re-attaches to them.
    m_tracks.clear();
}

} // namespace cd::runners
