#pragma once

#include "common/result.h"
#include "model/logline.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QSqlQuery;

namespace cd::store {

class Database;

struct LogQuery
{
    QString jobId;
    qint64 after = 0;              // seq strictly greater than this
    int limit = 1000;              // 1..10000
    QList<model::LogLevel> levels; // empty = all
    QString text;                  // substring, case-insensitive
};

// A job's lines numbered first..last by one commit.
struct LogRange
{
    QString jobId;
    qint64 first = 0;
    qint64 last = 0;
};

// The batched log writer (DESIGN §3): lines are queued and written in one transaction per group
// commit (≤ 20 ms or ≤ 1000 lines). Seqs are assigned in that transaction from jobs.log_count under
// the job's row lock, so they are gapless per job whichever connection or node writes. A ticket
// identifies a queued batch; committed(t) says every batch up to t is durable.
class LogStore : public QObject
{
    Q_OBJECT
public:
    // The payload of a notice sent in the commit's own transaction (PostgreSQL NOTIFY); empty sends
    // none.
    using NoticeFn = std::function<QString(const QList<LogRange> &)>;

    static constexpr int kMaxBatch = 1000;
    static constexpr int kCommitDelayMs = 20;

    explicit LogStore(Database *db, QObject *parent = nullptr);
    ~LogStore() override;

    // Lines of one or more jobs; their seq is assigned at commit.
    quint64 enqueue(const model::LogLines &lines);
    // The latest progress and/or summary a job's worker reported, written with that job's lines in
    // the next group commit (the same UPDATE that numbers them): a thousand progress lines in one
    // commit cost one write, not a thousand. Call before enqueueing the lines that carry it.
    void setProgress(const QString &jobId, std::optional<int> progress, std::optional<QJsonObject> summary);
    quint64 committedTicket() const { return m_committed; }
    quint64 lastTicket() const { return m_ticket; }
    int pendingCount() const { return static_cast<int>(m_pending.size()); }
    quint64 linesCommitted() const { return m_linesCommitted; }
    quint64 commits() const { return m_commits; }
    quint64 commitFailures() const { return m_commitFailures; }
    quint64 linesDropped() const { return m_linesDropped; }
    static constexpr int kIsolateAfterFailures = 3;
    // Writes everything queued now; false (and lines kept for the next try) when the database fails.
    bool flush();
    // Someone waits for durability (a parked HTTP reply): commit as soon as the event loop has read
    // what else is ready, instead of at the 20 ms mark. Concurrent callbacks still share a commit.
    void flushSoon();

    // Sends `notice(ranges)` on `channel` inside every commit's transaction (PostgreSQL only).
    void setCommitNotice(const QString &channel, NoticeFn notice);

    // Highest committed seq of a job (0 = none).
    qint64 lastSeq(const QString &jobId) const;
    // Reads committed lines; flushes first so a reader sees what this process already queued.
    // Unavailable when the database cannot be read.
    Result<model::LogLines> page(const LogQuery &query);
    model::LogLines lines(const LogQuery &query) { return page(query).value_or({}); }
    // Reads committed lines without flushing (safe from inside a commit's signals).
    Result<model::LogLines> committedPage(const LogQuery &query) const;
    model::LogLines committedLines(const LogQuery &query) const { return committedPage(query).value_or({}); }
    qint64 count(const QString &jobId);
    // Sequence numbers of a job's lines at these levels, in order (a filtered view's row map).
    QList<qint64> seqsAtLevels(const QString &jobId, const QList<model::LogLevel> &levels)
    {
        return readSeqsAtLevels(jobId, levels).value_or({});
    }
    // The first line after (forward) or before `fromSeq` whose message contains `text`
    // (case-insensitive), optionally only at `levels`; 0 when there is none.
    qint64 findSeq(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                   const QList<model::LogLevel> &levels = {})
    {
        return readFindSeq(jobId, fromSeq, text, forward, levels).value_or(0);
    }
    // The same reads, Unavailable when the database cannot be read (an HTTP answer must not turn a
    // failed read into "none").
    Result<qint64> readLastSeq(const QString &jobId) const;
    Result<QList<qint64>> readSeqsAtLevels(const QString &jobId, const QList<model::LogLevel> &levels);
    // One page of them: at most `limit` seqs after `after`, none past `upTo` (a log's length read
    // before, so the page describes that log however much it has grown since).
    Result<QList<qint64>> readSeqsAtLevels(const QString &jobId, const QList<model::LogLevel> &levels, qint64 after,
                                           int limit, qint64 upTo);
    Result<qint64> readFindSeq(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                               const QList<model::LogLevel> &levels = {});
    // How many lines (at `levels`, all when empty) contain `text`, case-insensitive as readFindSeq,
    // and how many of those are at or before `throughSeq`: a match's rank ("3 of 41").
    struct MatchCount
    {
        qint64 total = 0;
        qint64 through = 0;
    };
    Result<MatchCount> readCountMatching(const QString &jobId, const QString &text,
                                         const QList<model::LogLevel> &levels, qint64 throughSeq);

Q_SIGNALS:
    // One job's lines as committed, in seq order (for the change feed; others subscribe to it).
    void rangeCommitted(const QString &jobId, const cd::model::LogLines &lines);
    // Jobs whose progress or summary a commit changed (after their rangeCommitted()).
    void progressCommitted(const QStringList &jobIds);
    void committed(quint64 ticket);
    void commitFailed(const QString &error);

private:
    struct Statements;
    struct Written
    {
        QList<LogRange> ranges;
        model::LogLines lines; // numbered, grouped by job
        qsizetype dropped = 0; // lines of jobs that no longer exist
        QStringList patched;   // jobs whose progress/summary went in
    };
    struct Progress
    {
        std::optional<int> progress;
        std::optional<QString> summary; // JSON text
    };
    // Numbers and inserts `lines` inside the open transaction; sends the notice.
    Result<Written> write(const model::LogLines &lines);
    Status prepare();
    bool isolateBadLines();
    // Publishes what was written; with `upTo`, every batch up to that ticket is durable.
    void markCommitted(const Written &written, std::optional<quint64> upTo);

    Database *m_db;
    std::unique_ptr<Statements> m_stmts; // prepared once per connection: parsing SQL per commit shows
    quint64 m_stmtGeneration = 0;
    QString m_noticeChannel;
    NoticeFn m_notice;
    bool m_flushing = false;
    model::LogLines m_pending;
    QHash<QString, Progress> m_progress; // per job, until a commit writes it
    quint64 m_ticket = 0;
    quint64 m_committed = 0;
    QTimer m_timer;
    int m_failures = 0;
    quint64 m_linesCommitted = 0;
    quint64 m_commits = 0;
    quint64 m_commitFailures = 0;
    quint64 m_linesDropped = 0;
};

} // namespace cd::store
