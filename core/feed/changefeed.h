#pragma once

#include "common/result.h"
#include "model/job.h"
#include "model/logline.h"
#include "store/logstore.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

namespace cd::store {
class Database;
class JobStore;
} // namespace cd::store

namespace cd::feed {

// What changed, after it was committed (DESIGN §3, §7): job rows and log lines. Everything that
// shows or acts on live state (SSE streams, /api/events, the GUI models, the scheduler, watchers)
// subscribes here, never to the writers. In process the feed relays this process's commits at once;
// on PostgreSQL it also hears other nodes' commits through LISTEN on a connection of its own, with
// a periodic poll so a lost notification only delays.
class ChangeFeed final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChangeFeed)
public:
    static constexpr int kMaxPayload = 7900; // PostgreSQL refuses NOTIFY payloads of 8000 bytes
    static constexpr int kPollMs = 1000;
    static constexpr int kPingMs = 10000;

    ChangeFeed(store::JobStore *jobs, store::LogStore *logs, QObject *parent = nullptr);
    ~ChangeFeed() override;

    // PostgreSQL: announce this process's commits with NOTIFY and listen for other nodes' on a
    // connection of its own (`location` as for Database::open). SQLite needs none of it.
    Status connectTo(const QString &location, const QString &node);
    bool listening() const;
    // Other processes share the database (PostgreSQL): changes also arrive from them.
    bool shared() const { return m_listen != nullptr; }
    static QString channel() { return QStringLiteral("crawldeck_feed"); }
    void setPollInterval(int ms) { m_poll.setInterval(ms); }
    void setPingInterval(int ms) { m_ping.setInterval(ms); }

    // The NOTIFY payload for these ranges: compact JSON of ids and seqs, or "poll" when too long.
    QString payloadFor(const QList<store::LogRange> &ranges, const QStringList &added,
                       const QStringList &changed) const;

    // Jobs deleted (retention), after the delete committed: announced once here, and on PostgreSQL
    // to the other nodes too, in as many notices as the ids need. A lost notice is not made up for
    // by the poll (a deleted row leaves nothing to poll): a window that missed one finds out when it
    // reads the job again.
    void publishRemoved(const QStringList &ids);
    // The NOTIFY payloads announcing these removals, each under kMaxPayload.
    QStringList removalPayloads(const QStringList &ids) const;

    quint64 notificationsReceived() const { return m_notifications; }
    quint64 reconnects() const { return m_reconnects; }

Q_SIGNALS:
    void jobAdded(const cd::model::Job &job);
    void jobChanged(const cd::model::Job &job);
    // Committed lines of one job in seq order; each line once per feed.
    void linesCommitted(const QString &jobId, const cd::model::LogLines &lines);
    // The job was deleted, on this node or (PostgreSQL) another one.
    void jobRemoved(const QString &jobId);

private:
    void onLocalJob(const model::Job &job, bool added);
    void onLocalLines(const QString &jobId, const model::LogLines &lines);
    qint64 deliveredBefore(const QString &jobId, qint64 first);
    void deliverUpTo(const QString &jobId, qint64 last);
    void emitLines(const QString &jobId, const model::LogLines &lines);
    void sendJobNotice();
    void onNotification(const QString &name, const QVariant &payload);
    void remoteJob(const QString &id, bool added);
    void removed(const QString &id);
    void poll();
    void ping();
    bool subscribe();
    void reopen();
    bool resubscribeAfterReconnect();

    store::JobStore *m_jobs;
    store::LogStore *m_logs;
    QString m_origin; // tells this feed's notices from other nodes'
    QString m_startedIso;
    std::unique_ptr<store::Database> m_listen;
    QHash<QString, qint64> m_delivered;   // job -> highest seq emitted
    QHash<QString, QString> m_updatedAt;  // job -> updated_at last emitted
    QStringList m_addedIds, m_changedIds; // local job changes not yet announced
    QTimer m_jobNotice;
    QTimer m_poll;
    QTimer m_ping;
    quint64 m_listenGeneration = 0;
    bool m_baselined = false;
    quint64 m_notifications = 0;
    quint64 m_reconnects = 0;
};

} // namespace cd::feed
