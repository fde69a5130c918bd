// The logs a remote window follows: one stream per job, its lines read by page from the last one
// announced, so they arrive once each and in order across any number of reconnects.
#include "client/ssereader.h"
#include "remotesession.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <algorithm>

namespace cd::session {

using client::ClientError;
using client::ClientResult;
using client::SseEvent;
using client::SseReader;

namespace {

constexpr int kLogPage = 1000;
// A page that should have had lines (the stream announced them) but had none: asked again after this.
constexpr int kRepumpMs = 500;

} // namespace

void RemoteSession::follow(const QString &jobId, qint64 lastSeq)
{
    m_order.removeAll(jobId);
    m_order.append(jobId);
    if (m_follows.contains(jobId))
        return;
    while (m_order.size() > kMaxFollowed)
        unfollow(m_order.first());
    Follow f;
    f.delivered = lastSeq;
    f.target = lastSeq;
    f.stream = new SseReader(m_client, QStringLiteral("/api/crawler/logs/") + encoded(jobId), this);
    f.stream->setLastEventId(QString::number(lastSeq));
    f.stream->setEndEvent(QStringLiteral("end"));
    connect(f.stream, &SseReader::event, this, [this, jobId](const SseEvent &e) { onLogEvent(jobId, e); });
    connect(f.stream, &SseReader::failed, this, [this, jobId](const ClientError &e) {
        qCWarning(lcSession).noquote() << "the log stream of" << jobId << "ended:" << e.describe();
        unfollow(jobId);
    });
    connect(f.stream, &SseReader::stateChanged, this, [this, jobId](SseReader::State s) {
        // Back after a drop: whatever was announced and not yet read is read now.
        if (s == SseReader::State::Connected)
            pump(jobId);
    });
    m_follows.insert(jobId, f);
    f.stream->start();
}

void RemoteSession::unfollow(const QString &jobId)
{
    m_order.removeAll(jobId);
    const Follow f = m_follows.take(jobId);
    if (f.stream) {
        f.stream->stop();
        f.stream->deleteLater();
    }
}

void RemoteSession::onLogEvent(const QString &jobId, const SseEvent &event)
{
    auto it = m_follows.find(jobId);
    if (it == m_follows.end())
        return;
    if (event.event == u"end") {
        const QJsonObject o = QJsonDocument::fromJson(event.data).object();
        it->target = std::max(it->target, o.value(QStringLiteral("last_seq")).toInteger());
        it->ended = true;
    } else if (event.event == u"message") {
        bool ok = false;
        const qint64 seq = event.id.toLongLong(&ok);
        if (!ok)
            return;
        it->target = std::max(it->target, seq);
    } else {
        return;
    }
    pump(jobId);
}

void RemoteSession::pump(const QString &jobId)
{
    auto it = m_follows.find(jobId);
    if (it == m_follows.end() || it->fetching)
        return;
    if (it->delivered >= it->target) {
        if (it->ended)
            unfollow(jobId);
        return;
    }
    it->fetching = true;
    const qint64 after = it->delivered;
    client::LogQuery q;
    q.after = after;
    q.limit = kLogPage;
    QCoro::connect(m_client->logs(jobId, q), this, [this, jobId, after](const ClientResult<client::LogPage> &r) {
        auto it = m_follows.find(jobId);
        if (it == m_follows.end() || it->delivered != after)
            return;
        it->fetching = false;
        // Only lines that continue what was announced: none lost, none twice.
        model::LogLines fresh;
        qint64 next = after;
        if (r)
            for (const auto &l : r->lines) {
                if (l.seq != next + 1)
                    break;
                fresh.append(l);
                next = l.seq;
            }
        if (fresh.isEmpty()) {
            if (!r)
                qCDebug(lcSession).noquote() << "reading the log of" << jobId << "failed:" << r.error().describe();
            QTimer::singleShot(kRepumpMs, this, [this, jobId] { pump(jobId); });
            return;
        }
        it->delivered = next;
        Q_EMIT logAppended(jobId, next, fresh);
        pump(jobId);
    });
}

} // namespace cd::session
