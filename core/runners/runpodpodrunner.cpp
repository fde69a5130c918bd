#include "runpodpodrunner.h"

#include "artifacts/resultcollector.h"
#include "logs/logbus.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QTimer>

#include <QCoro/QCoroNetworkReply>

#include <chrono>

namespace cd::runners {

using model::LogLevel;

struct RunPodPodRunner::Track
{
    QPointer<QNetworkReply> reply;
    bool cancelRequested = false;
};

namespace {
QNetworkRequest podRequest(const QUrl &base, const QString &path, const QString &apiKey, int timeoutMs)
{
    QUrl url = base;
    url.setPath(url.path().endsWith(u'/') ? url.path().chopped(1) + path : url.path() + path);
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!apiKey.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + apiKey.toUtf8());
    req.setTransferTimeout(timeoutMs);
    return req;
}
} // namespace

RunPodPodRunner::RunPodPodRunner(RunPodPodConfig config, QNetworkAccessManager *nam, logs::LogBus *bus,
                                 artifacts::ResultCollector *results, QObject *parent)
    : Runner(parent), m_config(std::move(config)), m_nam(nam), m_bus(bus), m_results(results)
{}

RunPodPodRunner::~RunPodPodRunner()
{
    shutdown();
}

Status RunPodPodRunner::validate(const model::JobSpec &) const
{
    return Ok{};
}

void RunPodPodRunner::start(const model::Job &job)
{
    m_tracks.insert(job.id, std::make_shared<Track>());
    QCoro::connect(process(job), this, [] {});
}

QCoro::Task<> RunPodPodRunner::process(model::Job job)
{
    QPointer<RunPodPodRunner> self(this);
    const QString id = job.id;
    const QJsonObject body{
        {QStringLiteral("data"), job.params.value(QStringLiteral("keywords"))},
        {QStringLiteral("num_domains"), job.params.value(QStringLiteral("domain_count"))},
        {QStringLiteral("job_id"), id},
        {QStringLiteral("callback_url"), m_config.callbackUrl ? m_config.callbackUrl(id) : QString()},
        {QStringLiteral("params"), job.params},
    };
    const int timeoutMs = job.timeoutS > 0 ? job.timeoutS * 1000 : m_config.requestTimeoutMs;
    std::unique_ptr<QNetworkReply> reply(
        m_nam->post(podRequest(m_config.podUrl, QStringLiteral("/process"), m_config.apiKey, timeoutMs),
                    QJsonDocument(body).toJson(QJsonDocument::Compact)));
    if (auto t = m_tracks.value(id))
        t->reply = reply.get();
    m_bus->system(id, LogLevel::Info, QStringLiteral("sent to pod %1").arg(reply->url().toString()));
    // The pod starts working when the request arrives; report it from the event loop, not from start().
    QTimer::singleShot(0, this, [this, id] {
        if (m_tracks.contains(id))
            Q_EMIT started(id);
    });
    const QPointer<QNetworkReply> alive(reply.get());
    co_await qCoro(reply.get()).waitForFinished(std::chrono::milliseconds(timeoutMs + 1000));
    if (!alive || !self) {
        if (!alive)
            (void)reply.release(); // deleted with its network manager
        co_return;
    }
    auto t = m_tracks.value(id);
    if (!t)
        co_return;
    if (!reply->isFinished())
        reply->abort();
    if (t->cancelRequested) {
        finish(id, RunOutcome{RunOutcome::Kind::Cancelled, std::nullopt, QStringLiteral("cancelled")});
        co_return;
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray data = reply->readAll();
    if (status == 0) {
        const bool timedOut =
            reply->error() == QNetworkReply::OperationCanceledError || reply->error() == QNetworkReply::TimeoutError;
        finish(id, RunOutcome{timedOut ? RunOutcome::Kind::TimedOut : RunOutcome::Kind::Failed, std::nullopt,
                              QStringLiteral("pod request failed: %1").arg(reply->errorString())});
        co_return;
    }
    if (status < 200 || status >= 300) {
        finish(id, RunOutcome{
                       RunOutcome::Kind::Failed, std::nullopt,
                       QStringLiteral("pod answered HTTP %1: %2").arg(status).arg(QString::fromUtf8(data.left(300)))});
        co_return;
    }
    QJsonParseError perr{};
    const QJsonDocument doc = QJsonDocument::fromJson(data, &perr);
    const QJsonValue output = perr.error == QJsonParseError::NoError
                                  ? (doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array()))
                                  : QJsonValue(QString::fromUtf8(data));
    const artifacts::CollectReport report = co_await m_results->collect(id, output);
    if (!self || !m_tracks.contains(id))
        co_return;
    if (!report.failed.isEmpty())
        m_bus->system(id, LogLevel::Warning,
                      QStringLiteral("%1 result(s) could not be saved: %2")
                          .arg(report.failed.size())
                          .arg(report.failed.join(QStringLiteral("; "))));
    const QString workerStatus = doc.object().value(QStringLiteral("status")).toString().toLower();
    if (workerStatus == u"error" || workerStatus == u"failed") {
        const QString why = doc.object()
                                .value(QStringLiteral("error"))
                                .toString(doc.object().value(QStringLiteral("message")).toString());
        finish(id, RunOutcome{RunOutcome::Kind::Failed, std::nullopt,
                              QStringLiteral("the pod worker reported failure: ") + why});
        co_return;
    }
    finish(id, RunOutcome{RunOutcome::Kind::Completed, std::nullopt, {}});
}

void RunPodPodRunner::cancel(const QString &jobId)
{
    auto t = m_tracks.value(jobId);
    if (!t || t->cancelRequested)
        return;
    t->cancelRequested = true;
    QCoro::connect(tellWorkerToCancel(jobId), this, [] {});
    if (t->reply)
        t->reply->abort();
}

QCoro::Task<> RunPodPodRunner::tellWorkerToCancel(QString jobId)
{
    QPointer<logs::LogBus> bus(m_bus);
    std::unique_ptr<QNetworkReply> reply(m_nam->post(
        podRequest(m_config.podUrl, QStringLiteral("/cancel/") + jobId, m_config.apiKey, m_config.cancelTimeoutMs),
        QByteArray("{}")));
    const QPointer<QNetworkReply> alive(reply.get());
    co_await qCoro(reply.get()).waitForFinished(std::chrono::milliseconds(m_config.cancelTimeoutMs + 500));
    if (!alive) {
        (void)reply.release();
        co_return;
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (bus)
        bus->system(
            jobId, LogLevel::Info,
            status >= 200 && status < 300
                ? QStringLiteral("the pod worker acknowledged the cancel")
                : QStringLiteral("the pod worker has no cancel route (HTTP %1); its request was aborted").arg(status));
}

void RunPodPodRunner::reattach(const model::Job &job)
{
    m_tracks.insert(job.id, std::make_shared<Track>());
    QTimer::singleShot(0, this, [this, id = job.id] {
        finish(id, RunOutcome{RunOutcome::Kind::Failed, std::nullopt,
                              QStringLiteral("interrupted by restart (a pod's /process request cannot be resumed)")});
    });
}

void RunPodPodRunner::finish(const QString &jobId, RunOutcome outcome)
{
    if (!m_tracks.remove(jobId))
        return;
    Q_EMIT finished(jobId, outcome);
}

void RunPodPodRunner::shutdown()
{
    const auto tracks = std::exchange(m_tracks, {});
    for (const auto &t : tracks)
        if (t->reply)
            t->reply->abort();
}

} // namespace cd::runners
