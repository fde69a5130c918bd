#pragma once

#include "model/job.h"
#include "reply.h"

#include <QObject>
#include <QTimer>

#include <list>

namespace cd::feed {
class ChangeFeed;
}

namespace cd::http {

// `GET /api/events`: every job creation, change and deletion as it happens, for dashboards and scripts that
// would otherwise poll. Job events are not replayable, so a subscriber that stops reading is
// disconnected at the buffer cap (it reconnects and lists /api/jobs again).
class EventsHub : public QObject
{
    Q_OBJECT
public:
    explicit EventsHub(feed::ChangeFeed *feed, QObject *parent = nullptr);
    ~EventsHub() override;

    void subscribe(Reply &&reply);
    int subscriberCount() const { return static_cast<int>(m_subs.size()); }
    void setBufferCap(qint64 bytes) { m_cap = bytes; }
    void setKeepaliveInterval(int ms) { m_keepalive.setInterval(ms); }

private:
    void broadcast(const QByteArray &event);
    void onJob(const char *type, const model::Job &job);
    void onRemoved(const QString &jobId);

    std::list<Reply> m_subs;
    QTimer m_keepalive;
    qint64 m_cap = 1024 * 1024;
};

} // namespace cd::http
