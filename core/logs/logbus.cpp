#include "logbus.h"

#include "logparser.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QTimer>

namespace cd::logs {

using model::LogLevel;
using model::LogLine;
using model::LogSource;

LogBus::LogBus(store::JobStore *jobs, store::LogStore *logs, QObject *parent)
    : QObject(parent), m_jobs(jobs), m_logs(logs)
{
    connect(m_logs, &store::LogStore::committed, this, &LogBus::onCommitted);
}

qint64 LogBus::nextSeq(const QString &jobId)
{
    auto it = m_lastSeq.find(jobId);
    if (it == m_lastSeq.end())
        it = m_lastSeq.insert(jobId, m_logs->lastSeq(jobId));
    return ++it.value();
}

void LogBus::reset()
{
    m_lastSeq.clear();
}

quint64 LogBus::append(const QString &jobId, LogSource source, const QList<QByteArray> &rawLines)
{
    QList<ParsedLine> parsed;
    parsed.reserve(rawLines.size());
    for (const QByteArray &raw : rawLines)
        parsed.append(LogParser::parse(raw, source));
    model::LogLines lines;
    std::optional<int> progress;
    std::optional<QJsonObject> summary;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const ParsedLine &p : std::as_const(parsed)) {
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

quint64 LogBus::append(const QString &jobId, LogSource source, const QStringList &text)
{
    QList<QByteArray> raw;
    raw.reserve(text.size());
    for (const QString &t : text)
        raw.append(t.toUtf8());
    return append(jobId, source, raw);
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
    for (LogLine &l : lines)
        l.seq = nextSeq(jobId);
    const quint64 ticket = m_logs->enqueue(lines);
    Q_EMIT linesAppended(jobId, lines);
    if (progress || summary) {
        store::JobPatch patch;
        patch.progress = progress;
        patch.summary = summary;
        m_jobs->update(jobId, patch);
    }
    return ticket;
}

void LogBus::whenDurable(quint64 ticket, QObject *context, std::function<void(bool)> done, int timeoutMs)
{
    auto shared = std::make_shared<std::function<void(bool)>>(std::move(done));
    if (m_logs->committedTicket() >= ticket) {
        (*shared)(true);
        return;
    }
    m_waiters.emplace(ticket, Waiter{context, shared});
    // The shared function is emptied by whichever of commit or timeout comes first.
    QTimer::singleShot(timeoutMs, context, [shared] {
        if (*shared) {
            auto f = std::move(*shared);
            *shared = nullptr;
            f(false);
        }
    });
}

void LogBus::onCommitted(quint64 ticket)
{
    auto end = m_waiters.upper_bound(ticket);
    std::vector<Waiter> ready;
    for (auto it = m_waiters.begin(); it != end; ++it)
        ready.push_back(it->second);
    m_waiters.erase(m_waiters.begin(), end);
    for (Waiter &w : ready) {
        if (!w.context || !*w.done)
            continue;
        auto f = std::move(*w.done);
        *w.done = nullptr;
        f(true);
    }
}

} // namespace cd::logs
