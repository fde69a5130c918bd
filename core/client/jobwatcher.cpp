#include "jobwatcher.h"

#include "apiclient.h"
#include "ssereader.h"

#include <QJsonDocument>
#include <QTimer>

#include <QCoro/QCoroSignal>

namespace cd::client {

JobWatcher::JobWatcher(ApiClient *client, QString jobId, QObject *parent)
    : QObject(parent), m_client(client), m_jobId(std::move(jobId))
{}

JobWatcher::~JobWatcher() = default;

void JobWatcher::start()
{
    if (m_events || m_result || !m_client)
        return;
    m_events = new SseReader(m_client, QStringLiteral("/api/events"), this);
    m_events->setGiveUpAfterMs(m_giveUpAfterMs);
    connect(m_events, &SseReader::stateChanged, this, [this](SseReader::State s) {
        Q_EMIT connectionChanged(s == SseReader::State::Connected);
        if (s != SseReader::State::Connected || !m_client)
            return;
        // Whatever happened while the stream was down is in the job itself.
        readJob();
    });
    connect(m_events, &SseReader::event, this, [this](const SseEvent &e) {
        const QJsonObject o = QJsonDocument::fromJson(e.data).object();
        if (e.event != u"job")
            return;
        const auto job = model::Job::fromJson(o.value(QStringLiteral("job")).toObject());
        if (job && job->id == m_jobId)
            consider(job.value());
    });
    connect(m_events, &SseReader::failed, this, [this](const ClientError &e) { finish(e); });
    m_events->start();
}

void JobWatcher::consider(const model::Job &job)
{
    if (m_result)
        return;
    Q_EMIT changed(job);
    if (model::isTerminal(job.status))
        finish(job);
}

void JobWatcher::finish(ClientResult<model::Job> result)
{
    if (m_result)
        return;
    m_result = std::move(result);
    if (m_events)
        m_events->stop();
    Q_EMIT done();
}

QCoro::Task<ClientResult<model::Job>> JobWatcher::untilSettled()
{
    start();
    const QPointer<JobWatcher> self(this);
    if (!m_client)
        co_return ClientError{ClientError::Kind::Cancelled, 0, {}, QStringLiteral("the client was destroyed")};
    while (!m_result) {
        co_await qCoro(this, &JobWatcher::done);
        if (!self)
            co_return ClientError{ClientError::Kind::Cancelled, 0, {}, QStringLiteral("the watcher was destroyed")};
    }
    co_return *m_result;
}

void JobWatcher::readJob()
{
    if (!m_client || m_result)
        return;
    QCoro::connect(m_client->job(m_jobId), this, [this](const ClientResult<model::Job> &job) {
        if (job)
            return consider(job.value());
        const ClientError &e = job.error();
        if (e.kind == ClientError::Kind::Http && e.status != 503 && e.status != 429)
            return finish(e); // unknown job, no right to read it
        // Not answered (down, overloaded, timed out): a job that ended meanwhile sends no event any
        // more, so read it again rather than wait on the stream for ever.
        QTimer::singleShot(kRereadMs, this, &JobWatcher::readJob);
    });
}

} // namespace cd::client
