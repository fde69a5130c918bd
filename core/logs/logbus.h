#pragma once

#include "model/logline.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <functional>
#include <map>

class QTimer;

namespace cd::store {
class JobStore;
class LogStore;
} // namespace cd::store
namespace cd::feed {
class ChangeFeed;
}

namespace cd::logs {

struct ParsedLine;

// Every log line of every job passes here: parse, queue for the next group commit (which numbers
// the lines), and apply progress/summary. Lines reach live subscribers through the ChangeFeed once
// committed, never from here.
class LogBus : public QObject
{
    Q_OBJECT
public:
    static constexpr int kAnnounceEveryMs = 100; // ≤ 10 progress events per job and second

    LogBus(store::JobStore *jobs, store::LogStore *logs, feed::ChangeFeed *feed, QObject *parent = nullptr);

    // Where committed lines and job changes are published.
    feed::ChangeFeed *feed() const { return m_feed; }

    // Returns the durability ticket of the batch (see whenDurable). The job must exist.
    quint64 append(const QString &jobId, model::LogSource source, const QList<QByteArray> &rawLines);
    quint64 append(const QString &jobId, model::LogSource source, const QStringList &lines);
    // A line Crawldeck itself writes into a job's log.
    quint64 system(const QString &jobId, model::LogLevel level, const QString &message);

    // Calls `done(true)` once every batch up to `ticket` is committed, or `done(false)` after
    // `timeoutMs`. Nothing is called if `context` dies first.
    void whenDurable(quint64 ticket, QObject *context, std::function<void(bool)> done, int timeoutMs = 10000);

    // Commits what is queued now (false when the database refuses; the lines stay queued).
    bool flush();

    // Forget cached progress values (after a job is deleted, or in tests that reopen the store).
    void reset();

private:
    quint64 appendParsed(const QString &jobId, model::LogSource source, const QList<ParsedLine> &parsed);
    quint64 publish(const QString &jobId, model::LogLines lines, std::optional<int> progress,
                    std::optional<QJsonObject> summary);
    void onCommitted(quint64 ticket);
    // Progress is committed with every group commit, but a job's change is announced at most every
    // kAnnounceEveryMs: a worker printing progress per item would otherwise flood every event stream
    // and window. The last value always goes out (by the timer) within that time.
    void onProgressCommitted(const QStringList &jobIds);
    void announce(const QString &jobId, qint64 now);
    void announceDue();

    struct Waiter
    {
        QPointer<QObject> context;
        std::function<void(bool)> done;
        qint64 deadline; // ms on m_clock
    };
    void expireWaiters();

    store::JobStore *m_jobs;
    store::LogStore *m_logs;
    feed::ChangeFeed *m_feed;
    QHash<QString, int> m_lastProgress; // skip writes that would not change anything
    QHash<QString, qint64> m_announced; // job → when its last progress change went out (m_clock)
    QSet<QString> m_unannounced;        // jobs with a committed change not announced yet
    QTimer *m_announceTimer;
    std::multimap<quint64, Waiter> m_waiters;
    // One sweep for all waiters' timeouts: a timer per parked request costs O(n) per request in
    // Qt's timer list under load.
    QTimer *m_sweep;
    QElapsedTimer m_clock;
};

} // namespace cd::logs
