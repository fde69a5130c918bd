#include "eventshub.h"

#include "artifacts/resultcollector.h"
#include "feed/changefeed.h"
#include "guardedtcpserver.h"

#include <QJsonDocument>

namespace cd::http {

EventsHub::EventsHub(feed::ChangeFeed *feed, QObject *parent) : QObject(parent)
{
    connect(feed, &feed::ChangeFeed::jobAdded, this, [this](const model::Job &j) { onJob("created", j); });
    connect(feed, &feed::ChangeFeed::jobChanged, this, [this](const model::Job &j) { onJob("changed", j); });
    connect(feed, &feed::ChangeFeed::jobRemoved, this, &EventsHub::onRemoved);
    m_keepalive.setInterval(15000);
    connect(&m_keepalive, &QTimer::timeout, this, [this] { broadcast(QByteArrayLiteral(": keepalive\n\n")); });
    m_keepalive.start();
    m_clock.start();
    m_progressFlush.setInterval(kProgressIntervalMs / 5);
    connect(&m_progressFlush, &QTimer::timeout, this, &EventsHub::flushProgress);
}

void EventsHub::watchResults(artifacts::ResultCollector *results)
{
    if (!results)
        return;
    connect(results, &artifacts::ResultCollector::downloadProgress, this, &EventsHub::onDownloadProgress);
    connect(results, &artifacts::ResultCollector::downloadFinished, this, &EventsHub::onDownloadFinished);
}

EventsHub::~EventsHub()
{
    for (Reply &r : m_subs)
        r.endStream();
}

void EventsHub::subscribe(Reply &&reply)
{
    reply.beginStream(QByteArrayLiteral("text/event-stream"),
                      {{QByteArrayLiteral("X-Accel-Buffering"), QByteArrayLiteral("no")}});
    if (!reply.alive())
        return;
    GuardedTcpServer::markStreaming(reply.socket());
    reply.streamWrite(QByteArrayLiteral("retry: 3000\n: connected\n\n"));
    m_subs.push_back(std::move(reply));
}

void EventsHub::onJob(const char *type, const model::Job &job)
{
    sendJson(QJsonObject{{QStringLiteral("type"), QLatin1String(type)}, {QStringLiteral("job"), job.toJson()}});
}

void EventsHub::onRemoved(const QString &jobId)
{
    sendJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("removed")}, {QStringLiteral("job_id"), jobId}});
}

void EventsHub::onDownloadProgress(const QString &jobId, const QString &name, qint64 received, qint64 total)
{
    Progress &p = m_progress[jobId];
    p.name = name;
    p.received = received;
    p.total = total;
    p.pending = true;
    // A download reports every network read: a window needs a few a second, not thousands.
    if (p.sentAtMs < 0 || m_clock.elapsed() - p.sentAtMs >= kProgressIntervalMs)
        sendProgress(jobId);
    else if (!m_progressFlush.isActive())
        m_progressFlush.start();
}

void EventsHub::sendProgress(const QString &jobId)
{
    Progress &p = m_progress[jobId];
    p.pending = false;
    p.sentAtMs = m_clock.elapsed();
    sendJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("result_download")},
                         {QStringLiteral("job_id"), jobId},
                         {QStringLiteral("name"), p.name},
                         {QStringLiteral("received"), p.received},
                         {QStringLiteral("total"), p.total},
                         {QStringLiteral("done"), false}});
}

void EventsHub::flushProgress()
{
    bool waiting = false;
    for (auto it = m_progress.begin(); it != m_progress.end(); ++it) {
        if (!it->pending)
            continue;
        if (m_clock.elapsed() - it->sentAtMs >= kProgressIntervalMs)
            sendProgress(it.key());
        else
            waiting = true;
    }
    if (!waiting)
        m_progressFlush.stop();
}

void EventsHub::onDownloadFinished(const QString &jobId, const QString &name, bool ok)
{
    m_progress.remove(jobId); // what was held back is superseded by the end
    sendJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("result_download")},
                         {QStringLiteral("job_id"), jobId},
                         {QStringLiteral("name"), name},
                         {QStringLiteral("done"), true},
                         {QStringLiteral("ok"), ok}});
}

void EventsHub::sendJson(const QJsonObject &data)
{
    if (m_subs.empty())
        return;
    broadcast("event: job\ndata: " + QJsonDocument(data).toJson(QJsonDocument::Compact) + "\n\n");
}

void EventsHub::broadcast(const QByteArray &event)
{
    for (auto it = m_subs.begin(); it != m_subs.end();) {
        QTcpSocket *s = it->socket();
        if (!it->alive() || !s || s->bytesToWrite() > m_cap) {
            it->endStream();
            it = m_subs.erase(it);
            continue;
        }
        it->streamWrite(event);
        ++it;
    }
}

} // namespace cd::http
