#include "logbus.h"

#include "logparser.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QTimer>

namespace cd::logs {

using model::LogLevel;
using model::LogLine;
using model::LogSource;

LogBus::LogBus(store::JobStore *jobs, store::LogStore *logs, feed::ChangeFeed *feed, QObject *parent)
    : QObject(parent), m_jobs(jobs), m_logs(logs), m_feed(feed)
{
    connect(m_logs, &store::LogStore::committed, this, &LogBus::onCommitted);
    m_clock.start();
    m_sweep = new QTimer(this);
    m_sweep->setInterval(250);
    connect(m_sweep, &QTimer::timeout, this, &LogBus::expireWaiters);
    connect(m_logs, &store::LogStore::progressCommitted, this, &LogBus::onProgressCommitted);
    m_announceTimer = new QTimer(this);
    m_announceTimer->setInterval(kAnnounceEveryMs / 2);
    connect(m_announceTimer, &QTimer::timeout, this, &LogBus::announceDue);
}

bool LogBus::flush()
{
    return m_logs->flush();
}

void LogBus::reset()
{
    m_lastProgress.clear();
    m_announced.clear();
    m_unannounced.clear();
}

namespace {
// Lines parsed from bytes (pipes) or from text (callbacks, whose JSON is already decoded: no trip
// back through UTF-8).
template<typename Raw> QList<ParsedLine> parseAll(const QList<Raw> &raw, LogSource source)
{
    QList<ParsedLine> parsed;
    parsed.reserve(raw.size());
    for (const Raw &r : raw)
        parsed.append(LogParser::parse(r, source));
    return parsed;
}
} // namespace

quint64 LogBus::append(const QString &jobId, LogSource source, const QList<QByteArray> &rawLines)
{
    return appendParsed(jobId, source, parseAll(rawLines, source));
}

quint64 LogBus::append(const QString &jobId, LogSource source, const QStringList &text)
{
    return appendParsed(jobId, source, parseAll(text, source));
}

quint64 LogBus::appendParsed(const QString &jobId, LogSource source, const QList<ParsedLine> &parsed)
{
    model::LogLines lines;
    lines.reserve(parsed.size());
    std::optional<int> progress;
    std::optional<QJsonObject> summary;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const ParsedLine &p : parsed) {
        lines.append(LogLine{jobId, 0, now, p.level, p.message, source});
        if (p.progress)
            progress = p.progress;
        if (p.summary)
            summary = p.summary;
        if (!p.summaryError.isEmpty())
            lines.append(LogLine{jobId, 0, now, LogLevel::Warning, p.summaryError, LogSource::System});
    }
    return publish(jobId, std::move(lines), progress, summary);
}

quint64 LogBus::system(const QString &jobId, LogLevel level, const QString &message)
{
    model::LogLines lines{LogLine{jobId, 0, QDateTime::currentDateTimeUtc(), level, message, LogSource::System}};
    return publish(jobId, std::move(lines), std::nullopt, std::nullopt);
}

quint64 LogBus::publish(const QString &jobId, model::LogLines lines, std::optional<int> progress,
                        std::optional<QJsonObject> summary)
{
    if (lines.isEmpty())
        return m_logs->lastTicket();
    if (progress) {
        auto it = m_lastProgress.find(jobId);
        if (it != m_lastProgress.end() && it.value() == *progress)
            progress.reset();
        else
            m_lastProgress.insert(jobId, *progress);
    }
    // Before the lines: enqueue() may commit at once, and the patch goes with them.
    m_logs->setProgress(jobId, progress, summary);
    return m_logs->enqueue(lines);
}

void LogBus::onProgressCommitted(const QStringList &jobIds)
{
    const qint64 now = m_clock.elapsed();
    for (const QString &id : jobIds) {
        const auto last = m_announced.constFind(id);
        if (last == m_announced.cend() || now - last.value() >= kAnnounceEveryMs)
            announce(id, now);
        else
            m_unannounced.insert(id);
    }
    if (!m_announceTimer->isActive())
        m_announceTimer->start();
}

void LogBus::announce(const QString &jobId, qint64 now)
{
    m_announced.insert(jobId, now);
    m_unannounced.remove(jobId);
    // Read back: the event carries the job as stored, the latest value whatever came since.
    m_jobs->publishChange(jobId);
}

void LogBus::announceDue()
{
    const qint64 now = m_clock.elapsed();
    const QStringList due(m_unannounced.cbegin(), m_unannounced.cend());
    for (const QString &id : due)
        if (now - m_announced.value(id) >= kAnnounceEveryMs)
            announce(id, now);
    // Jobs quiet for a while need no entry: the next change of theirs goes out at once anyway.
    for (auto it = m_announced.begin(); it != m_announced.end();)
        it = now - it.value() > 10 * kAnnounceEveryMs ? m_announced.erase(it) : std::next(it);
    if (m_unannounced.isEmpty() && m_announced.isEmpty())
        m_announceTimer->stop();
}

void LogBus::whenDurable(quint64 ticket, QObject *context, std::function<void(bool)> done, int timeoutMs)
{
    if (m_logs->committedTicket() >= ticket) {
        done(true);
        return;
    }
    m_waiters.emplace(ticket, Waiter{context, std::move(done), m_clock.elapsed() + timeoutMs});
    if (!m_sweep->isActive())
        m_sweep->start();
    m_logs->flushSoon();
}

void LogBus::onCommitted(quint64 ticket)
{
    const auto end = m_waiters.upper_bound(ticket);
    std::vector<Waiter> ready;
    for (auto it = m_waiters.begin(); it != end; ++it)
        ready.push_back(std::move(it->second));
    m_waiters.erase(m_waiters.begin(), end);
    for (Waiter &w : ready)
        if (w.context)
            w.done(true);
    if (m_waiters.empty())
        m_sweep->stop();
}

void LogBus::expireWaiters()
{
    const qint64 now = m_clock.elapsed();
    std::vector<Waiter> expired;
    for (auto it = m_waiters.begin(); it != m_waiters.end();) {
        if (it->second.deadline <= now) {
            expired.push_back(std::move(it->second));
            it = m_waiters.erase(it);
        } else {
            ++it;
        }
    }
    for (Waiter &w : expired)
        if (w.context)
            w.done(false);
    if (m_waiters.empty())
        m_sweep->stop();
}

} // namespace cd::logs
