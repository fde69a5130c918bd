#pragma once

#include "model/job.h"
#include "reply.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <list>

namespace cd::feed {
class ChangeFeed;
}
namespace cd::artifacts {
class ResultCollector;
}

namespace cd::http {

// `GET /api/events`: every job creation, change and deletion as it happens, and the progress of
// the result downloads this node makes for its jobs, for dashboards, scripts and remote windows
// that would otherwise poll. Job events are not replayable, so a subscriber that stops reading is
// disconnected at the buffer cap (it reconnects and lists /api/jobs again).
class EventsHub : public QObject
{
    Q_OBJECT
public:
    // A job's result download progress goes out at most this often (its end at once).
    static constexpr int kProgressIntervalMs = 250;

    explicit EventsHub(feed::ChangeFeed *feed, QObject *parent = nullptr);
    ~EventsHub() override;

    // Announces the result downloads of `results` (null: none).
    void watchResults(artifacts::ResultCollector *results);

    void subscribe(Reply &&reply);
    int subscriberCount() const { return static_cast<int>(m_subs.size()); }
    void setBufferCap(qint64 bytes) { m_cap = bytes; }
    void setKeepaliveInterval(int ms) { m_keepalive.setInterval(ms); }

private:
    void broadcast(const QByteArray &event);
    void onJob(const char *type, const model::Job &job);
    void onRemoved(const QString &jobId);
    void onDownloadProgress(const QString &jobId, const QString &name, qint64 received, qint64 total);
    void onDownloadFinished(const QString &jobId, const QString &name, bool ok);
    void sendProgress(const QString &jobId);
    void flushProgress();
    void sendJson(const QJsonObject &data);

    struct Progress
    {
        QString name;
        qint64 received = 0;
        qint64 total = -1;
        bool pending = false; // newer than what was sent
        qint64 sentAtMs = -1;
    };

    std::list<Reply> m_subs;
    QTimer m_keepalive;
    QHash<QString, Progress> m_progress; // per job, while its download runs
    QElapsedTimer m_clock;
    QTimer m_progressFlush;
    qint64 m_cap = 1024 * 1024;
};

} // namespace cd::http
