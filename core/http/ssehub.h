#pragma once

#include "model/job.h"
#include "model/logline.h"
#include "reply.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

namespace cd::store {
class JobStore;
class LogStore;
} // namespace cd::store
namespace cd::feed {
class ChangeFeed;
}

namespace cd::http {

// Live log streams (`GET /api/crawler/logs/{id}`). Every subscriber gets every line: it is fed from
// the store until caught up, then live from the ChangeFeed (committed lines only). A subscriber whose socket buffer
// passes the cap stops receiving live lines and goes back to reading the store as its buffer drains, so a slow client
// costs bounded memory and still misses nothing.
class SseHub : public QObject
{
    Q_OBJECT
public:
    SseHub(store::JobStore *jobs, store::LogStore *logs, feed::ChangeFeed *feed, QObject *parent = nullptr);
    ~SseHub() override;

    void subscribe(const QString &jobId, qint64 after, Reply &&reply);
    int subscriberCount() const;
    void setKeepaliveInterval(int ms) { m_keepalive.setInterval(ms); }
    void setBufferCap(qint64 bytes) { m_bufferCap = bytes; }
    // How long after a terminal status the stream stays open for late lines before `event: end`.
    void setEndGraceMs(int ms) { m_endGraceMs = ms; }

private:
    struct Sub;
    void onLines(const QString &jobId, const model::LogLines &lines);
    void onJobChanged(const model::Job &job);
    bool backfill(Sub *sub); // false: the read failed and the subscriber is gone
    void sendStatus(Sub *sub, const model::Job &job);
    void finish(Sub *sub);
    void remove(Sub *sub);
    bool write(Sub *sub, const QByteArray &data);

    store::JobStore *m_jobs;
    store::LogStore *m_logs;
    QHash<QString, QList<Sub *>> m_byJob;
    QTimer m_keepalive;
    qint64 m_bufferCap = 4 * 1024 * 1024;
    int m_endGraceMs = 200;
};

} // namespace cd::http
