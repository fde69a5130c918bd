#include "eventshub.h"

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
    if (m_subs.empty())
        return;
    broadcast(
        "event: job\ndata: " +
        QJsonDocument(QJsonObject{{QStringLiteral("type"), QLatin1String(type)}, {QStringLiteral("job"), job.toJson()}})
            .toJson(QJsonDocument::Compact) +
        "\n\n");
}

void EventsHub::onRemoved(const QString &jobId)
{
    if (m_subs.empty())
        return;
    broadcast("event: job\ndata: " +
              QJsonDocument(
                  QJsonObject{{QStringLiteral("type"), QStringLiteral("removed")}, {QStringLiteral("job_id"), jobId}})
                  .toJson(QJsonDocument::Compact) +
              "\n\n");
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
