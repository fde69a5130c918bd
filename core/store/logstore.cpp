#include "logstore.h"

#include "common/logging.h"
#include "database.h"
#include "model/job.h"
#include "sqldialect.h"
#include "sqlutil.h"

#include <QHash>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <iterator>
#include <limits>
#include <map>

namespace cd::store {

using model::LogLine;

namespace {
// SQLite: rows per INSERT, largest first. A statement per row made QtSql's per-exec work (reset,
// rebind, step) most of a commit; a 50-row statement pays it once for 50 lines.
constexpr int kRowsPerInsert[] = {50, 10, 1};
constexpr int kColumns = 6;
} // namespace

struct LogStore::Statements
{
    explicit Statements(QSqlDatabase &db)
        : reserve(db), insert(db), notify(db), insertRows{QSqlQuery(db), QSqlQuery(db), QSqlQuery(db)}
    {}
    QSqlQuery reserve;
    QSqlQuery insert; // PostgreSQL
    QSqlQuery notify;
    QSqlQuery insertRows[std::size(kRowsPerInsert)]; // SQLite: kRowsPerInsert[i] rows each
    bool bulk = false;                               // PostgreSQL: one INSERT ... unnest per commit
};

namespace {

// Takes the job's row lock until commit: a second writer for the same job waits here, then numbers
// after this one's lines (PostgreSQL re-reads log_count once the lock is granted). The floor at the
// highest stored seq keeps a counter that fell behind (a writer that bypassed it) from colliding.
// The same statement applies the job's latest progress/summary (NULL keeps the column): no write
// of its own per progress line.
QString reserveSql(const SqlDialect &d)
{
    return QStringLiteral("UPDATE jobs SET log_count = ") + d.greatest() +
           QStringLiteral("(log_count, (SELECT COALESCE(MAX(seq), 0) FROM job_logs WHERE job_id = jobs.id)) + ?, "
                          "progress = COALESCE(?, progress), summary = COALESCE(?, summary), "
                          "updated_at = COALESCE(?, updated_at) WHERE id = ? RETURNING log_count");
}
// QPSQL's batch exec is one round trip per row: the whole commit goes in as six array literals.
const QString kInsertBulk =
    QStringLiteral("INSERT INTO job_logs (job_id, seq, ts, level, message, source) "
                   "SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[])");
const QString kNotify = QStringLiteral("SELECT pg_notify(?, ?)");

QString insertRowsSql(int rows)
{
    QString sql = QStringLiteral("INSERT INTO job_logs (job_id, seq, ts, level, message, source) VALUES ");
    for (int i = 0; i < rows; ++i)
        sql += i ? QStringLiteral(", (?, ?, ?, ?, ?, ?)") : QStringLiteral("(?, ?, ?, ?, ?, ?)");
    return sql;
}

// The lines of one append share their time stamp: it is formatted once, not per line.
class TsText
{
public:
    const QString &operator()(const QDateTime &ts)
    {
        if (m_text.isNull() || ts != m_ts) {
            m_ts = ts;
            m_text = model::isoUtc(ts);
        }
        return m_text;
    }

private:
    QDateTime m_ts;
    QString m_text;
};

// A PostgreSQL array literal of text elements, each quoted.
QString textArray(const QStringList &items)
{
    QString out;
    out.reserve(items.size() * 16 + 2);
    out += u'{';
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (i)
            out += u',';
        out += u'"';
        for (const QChar c : items.at(i)) {
            if (c == u'"' || c == u'\\')
                out += u'\\';
            out += c;
        }
        out += u'"';
    }
    out += u'}';
    return out;
}
} // namespace

LogStore::LogStore(Database *db, QObject *parent) : QObject(parent), m_db(db)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { flush(); });
}

LogStore::~LogStore()
{
    flush();
    m_stmts.reset();
}

void LogStore::setCommitNotice(const QString &channel, NoticeFn notice)
{
    m_noticeChannel = channel;
    m_notice = std::move(notice);
}

quint64 LogStore::enqueue(const model::LogLines &lines)
{
    if (lines.isEmpty())
        return m_ticket;
    m_pending.append(lines);
    ++m_ticket;
    if (m_pending.size() >= kMaxBatch)
        flush();
    else if (!m_timer.isActive())
        m_timer.start(kCommitDelayMs);
    return m_ticket;
}

void LogStore::setProgress(const QString &jobId, std::optional<int> progress, std::optional<QJsonObject> summary)
{
    if (!progress && !summary)
        return;
    Progress &p = m_progress[jobId];
    if (progress)
        p.progress = qBound(0, *progress, 100);
    if (summary)
        p.summary = QString::fromUtf8(QJsonDocument(*summary).toJson(QJsonDocument::Compact));
}

void LogStore::flushSoon()
{
    if (m_pending.isEmpty() || m_failures > 0)
        return;
    if (!m_timer.isActive() || m_timer.remainingTime() > 0)
        m_timer.start(0);
}

Status LogStore::prepare()
{
    if (m_stmts && m_stmtGeneration == m_db->generation())
        return Ok{};
    m_stmts.reset(); // prepared on a connection that was since replaced
    auto s = std::make_unique<Statements>(m_db->db());
    s->bulk = m_db->dialect().name() == u"postgresql";
    bool prepared = s->reserve.prepare(reserveSql(m_db->dialect())) &&
                    (!s->bulk || (s->insert.prepare(kInsertBulk) && s->notify.prepare(kNotify)));
    for (std::size_t i = 0; prepared && !s->bulk && i < std::size(kRowsPerInsert); ++i)
        prepared = s->insertRows[i].prepare(insertRowsSql(kRowsPerInsert[i]));
    if (!prepared) {
        for (QSqlQuery *q :
             {&s->reserve, &s->insert, &s->notify, &s->insertRows[0], &s->insertRows[1], &s->insertRows[2]})
            if (q->lastError().isValid())
                return Error::make(Error::Code::Unavailable, q->lastError().text());
        return Error::make(Error::Code::Unavailable, QStringLiteral("cannot prepare the log statements"));
    }
    m_stmts = std::move(s);
    m_stmtGeneration = m_db->generation();
    return Ok{};
}

Result<LogStore::Written> LogStore::write(const model::LogLines &lines)
{
    if (auto st = prepare(); !st)
        return st.error();
    Statements &s = *m_stmts;
    // Jobs in id order: two writers lock the rows of their common jobs in the same order (no
    // deadlock); a job's lines keep their arrival order.
    std::map<QString, model::LogLines> byJob;
    for (const LogLine &l : lines)
        byJob[l.jobId].append(l);
    Written out;
    const QString now = model::isoUtc(QDateTime::currentDateTimeUtc());
    for (auto &[jobId, jobLines] : byJob) {
        const auto progress = m_progress.constFind(jobId);
        const bool patch = progress != m_progress.cend();
        s.reserve.bindValue(0, static_cast<qint64>(jobLines.size()));
        s.reserve.bindValue(1, patch && progress->progress ? QVariant(*progress->progress) : QVariant());
        s.reserve.bindValue(2, patch && progress->summary ? QVariant(*progress->summary) : QVariant());
        s.reserve.bindValue(3, patch ? QVariant(now) : QVariant());
        s.reserve.bindValue(4, jobId);
        if (!s.reserve.exec())
            return Error::make(Error::Code::Unavailable, s.reserve.lastError().text());
        if (!s.reserve.next()) {
            // The job is gone (deleted): its lines have nowhere to go.
            s.reserve.finish();
            m_progress.remove(jobId);
            out.dropped += jobLines.size();
            qCWarning(lcStore) << "dropped" << jobLines.size() << "log line(s) of job" << jobId
                               << ": the job does not exist";
            continue;
        }
        const qint64 last = s.reserve.value(0).toLongLong();
        s.reserve.finish();
        if (patch)
            out.patched.append(jobId);
        qint64 seq = last - jobLines.size();
        for (LogLine &l : jobLines)
            l.seq = ++seq;
        out.ranges.append(LogRange{jobId, last - jobLines.size() + 1, last});
        out.lines.append(jobLines);
    }
    if (s.bulk && !out.lines.isEmpty()) {
        QStringList ids, seqs, ts, levels, messages, sources;
        TsText tsText;
        for (const LogLine &l : std::as_const(out.lines)) {
            ids << l.jobId;
            seqs << QString::number(l.seq);
            ts << tsText(l.ts);
            levels << model::toString(l.level);
            messages << l.message;
            sources << model::toString(l.source);
        }
        s.insert.bindValue(0, textArray(ids));
        s.insert.bindValue(1, QString(u'{' + seqs.join(u',') + u'}'));
        s.insert.bindValue(2, textArray(ts));
        s.insert.bindValue(3, textArray(levels));
        s.insert.bindValue(4, textArray(messages));
        s.insert.bindValue(5, textArray(sources));
        if (!s.insert.exec())
            return Error::make(Error::Code::Unavailable, s.insert.lastError().text());
    } else {
        TsText tsText;
        qsizetype at = 0;
        for (std::size_t k = 0; k < std::size(kRowsPerInsert); ++k) {
            const int rows = kRowsPerInsert[k];
            QSqlQuery &q = s.insertRows[k];
            for (; out.lines.size() - at >= rows; at += rows) {
                for (int r = 0; r < rows; ++r) {
                    const LogLine &l = out.lines.at(at + r);
                    const int b = r * kColumns;
                    q.bindValue(b, l.jobId);
                    q.bindValue(b + 1, l.seq);
                    q.bindValue(b + 2, tsText(l.ts));
                    q.bindValue(b + 3, model::toString(l.level));
                    // A blank line is an empty string, not NULL (which the column refuses).
                    q.bindValue(b + 4, l.message.isNull() ? QStringLiteral("") : l.message);
                    q.bindValue(b + 5, model::toString(l.source));
                }
                if (!q.exec())
                    return Error::make(Error::Code::Unavailable, q.lastError().text());
            }
        }
    }
    if (s.bulk && m_notice && !out.ranges.isEmpty()) {
        // In the transaction: other nodes hear of the lines exactly when they become visible.
        const QString payload = m_notice(out.ranges);
        if (!payload.isEmpty()) {
            s.notify.bindValue(0, m_noticeChannel);
            s.notify.bindValue(1, payload);
            if (!s.notify.exec())
                return Error::make(Error::Code::Unavailable, s.notify.lastError().text());
            s.notify.finish();
        }
    }
    return out;
}

void LogStore::markCommitted(const Written &written, std::optional<quint64> upTo)
{
    m_linesCommitted += static_cast<quint64>(written.lines.size());
    m_linesDropped += static_cast<quint64>(written.dropped);
    for (const QString &id : written.patched)
        m_progress.remove(id);
    qsizetype from = 0;
    for (const LogRange &r : written.ranges) {
        const qsizetype n = r.last - r.first + 1;
        Q_EMIT rangeCommitted(r.jobId, written.lines.mid(from, n));
        from += n;
    }
    if (!written.patched.isEmpty())
        Q_EMIT progressCommitted(written.patched);
    if (!upTo)
        return;
    ++m_commits;
    m_failures = 0;
    // Not m_ticket: a subscriber of the signals above may have queued more lines already.
    m_committed = qMax(m_committed, *upTo);
    Q_EMIT committed(m_committed);
}

bool LogStore::flush()
{
    m_timer.stop();
    if (m_pending.isEmpty())
        return true;
    if (m_flushing) { // called from a subscriber of this very commit: the next turn takes the rest
        m_timer.start(0);
        return false;
    }
    // Repeated failures while the database answers: perhaps one line is what fails the batch.
    if (m_failures >= kIsolateAfterFailures && m_db->reachable())
        return isolateBadLines();
    QSqlDatabase &db = m_db->db();
    auto fail = [this, &db](const QString &why) {
        db.rollback();
        // A dropped PostgreSQL connection is reopened here; the retry prepares again.
        if (m_db->reconnectIfLost())
            m_stmts.reset();
        ++m_failures;
        ++m_commitFailures;
        // Back off so a full disk or a dropped connection is not hammered; the lines stay queued.
        m_timer.start(qMin(5000, 100 * (1 << qMin(m_failures, 6))));
        Q_EMIT commitFailed(why);
        return false;
    };
    // Before the transaction: statements of a connection replaced since (by any store) are released
    // on the new one, where that fails, and inside a transaction the failure would abort the batch.
    if (auto st = prepare(); !st)
        return fail(st.error().detail);
    if (!db.transaction())
        return fail(db.lastError().text());
    auto written = write(m_pending);
    if (!written)
        return fail(written.error().detail);
    if (!db.commit())
        return fail(db.lastError().text());
    m_pending.clear();
    m_flushing = true;
    markCommitted(written.value(), m_ticket);
    m_flushing = false;
    return true;
}

bool LogStore::isolateBadLines()
{
    // One line per transaction: a line the database still refuses is stored as a warning that says
    // so, and dropped (counted) only if even that fails, so one bad line cannot stall every job's log.
    QSqlDatabase &db = m_db->db();
    auto commitOne = [this, &db](const LogLine &l) -> std::optional<Written> {
        if (!prepare() || !db.transaction())
            return std::nullopt;
        auto w = write({l});
        if (w && db.commit())
            return std::move(w.value());
        db.rollback();
        return std::nullopt;
    };
    Written all;
    qsizetype done = 0;
    for (; done < m_pending.size(); ++done) {
        const LogLine &l = m_pending.at(done);
        auto w = commitOne(l);
        if (!w) {
            LogLine warning = l;
            warning.level = model::LogLevel::Warning;
            warning.source = model::LogSource::System;
            warning.message = QStringLiteral("[a log line could not be stored; its first 200 characters: %1]")
                                  .arg(l.message.left(200));
            w = commitOne(warning);
            if (!w) {
                if (!m_db->reachable())
                    break; // down after all: the rest waits for the next try
                ++m_linesDropped;
                qCWarning(lcStore) << "dropped log line" << l.seq << "of job" << l.jobId << ": the database refuses it";
                continue;
            }
        }
        all.ranges.append(w->ranges);
        all.lines.append(w->lines);
        all.dropped += w->dropped;
        for (const QString &id : std::as_const(w->patched))
            m_progress.remove(id); // written: the job's next lines must not write it again
        all.patched.append(w->patched);
    }
    m_pending.remove(0, done); // what was written is never written twice
    m_flushing = true;
    markCommitted(all, m_pending.isEmpty() ? std::optional<quint64>(m_ticket) : std::nullopt);
    m_flushing = false;
    if (!m_pending.isEmpty()) {
        m_timer.start(5000);
        return false;
    }
    return true;
}

qint64 LogStore::lastSeq(const QString &jobId) const
{
    return readLastSeq(jobId).value_or(0);
}

namespace {
Error unreadableLog(const Error &e)
{
    qCWarning(lcStore).noquote() << e.detail;
    return Error::make(Error::Code::Unavailable,
                       QStringLiteral("the job's log cannot be read right now; retry shortly"));
}
} // namespace

Result<qint64> LogStore::readLastSeq(const QString &jobId) const
{
    auto q =
        m_db->run(QStringLiteral("SELECT MAX(seq) FROM job_logs WHERE job_id = ?"), {jobId}, "reading a log's length");
    if (!q)
        return unreadableLog(q.error());
    return q.value().next() ? q.value().value(0).toLongLong() : 0;
}

Result<model::LogLines> LogStore::page(const LogQuery &query)
{
    flush();
    return committedPage(query);
}

Result<model::LogLines> LogStore::committedPage(const LogQuery &query) const
{
    QVariantList values{query.jobId, query.after};
    QString sql = QStringLiteral("SELECT seq, ts, level, message, source FROM job_logs WHERE job_id = ? AND seq > ?") +
                  levelClause(query.levels, &values);
    if (!query.text.isEmpty()) {
        sql += QStringLiteral(" AND LOWER(message) LIKE LOWER(?) ESCAPE '\\'");
        values << likePattern(query.text);
    }
    sql += QStringLiteral(" ORDER BY seq LIMIT %1").arg(qBound(1, query.limit, 10000));
    auto r = m_db->run(sql, values, "reading log lines");
    model::LogLines out;
    if (!r)
        return unreadableLog(r.error());
    QSqlQuery &q = r.value();
    while (q.next()) {
        LogLine l;
        l.jobId = query.jobId;
        l.seq = q.value(0).toLongLong();
        l.ts = QDateTime::fromString(q.value(1).toString(), Qt::ISODateWithMs);
        l.level = model::logLevelFromString(q.value(2).toString()).value_or(model::LogLevel::Info);
        l.message = q.value(3).toString();
        l.source = model::logSourceFromString(q.value(4).toString()).value_or(model::LogSource::Stdout);
        out.append(l);
    }
    return out;
}

Result<QList<qint64>> LogStore::readSeqsAtLevels(const QString &jobId, const QList<model::LogLevel> &levels)
{
    return readSeqsAtLevels(jobId, levels, 0, 0, std::numeric_limits<qint64>::max());
}

Result<QList<qint64>> LogStore::readSeqsAtLevels(const QString &jobId, const QList<model::LogLevel> &levels,
                                                 qint64 after, int limit, qint64 upTo)
{
    flush();
    QVariantList values{jobId, after, upTo};
    QString sql = QStringLiteral("SELECT seq FROM job_logs WHERE job_id = ? AND seq > ? AND seq <= ?") +
                  levelClause(levels, &values) + QStringLiteral(" ORDER BY seq");
    if (limit > 0)
        sql += QStringLiteral(" LIMIT %1").arg(limit);
    auto q = m_db->run(sql, values, "filtering a log");
    if (!q)
        return unreadableLog(q.error());
    QList<qint64> out;
    while (q.value().next())
        out.append(q.value().value(0).toLongLong());
    return out;
}

Result<qint64> LogStore::readFindSeq(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                                     const QList<model::LogLevel> &levels)
{
    flush();
    QVariantList values{jobId, fromSeq, likePattern(text)};
    const QString sql = QStringLiteral("SELECT seq FROM job_logs WHERE job_id = ? AND seq ") +
                        (forward ? QStringLiteral("> ?") : QStringLiteral("< ?")) +
                        QStringLiteral(" AND LOWER(message) LIKE LOWER(?) ESCAPE '\\'") + levelClause(levels, &values) +
                        QStringLiteral(" ORDER BY seq ") + (forward ? QStringLiteral("ASC") : QStringLiteral("DESC")) +
                        QStringLiteral(" LIMIT 1");
    auto q = m_db->run(sql, values, "searching a log");
    if (!q)
        return unreadableLog(q.error());
    return q.value().next() ? q.value().value(0).toLongLong() : 0;
}

Result<LogStore::MatchCount> LogStore::readCountMatching(const QString &jobId, const QString &text,
                                                         const QList<model::LogLevel> &levels, qint64 throughSeq)
{
    flush();
    QVariantList values{throughSeq, jobId, likePattern(text)};
    const QString sql = QStringLiteral("SELECT COUNT(*), COALESCE(SUM(CASE WHEN seq <= ? THEN 1 ELSE 0 END), 0) "
                                       "FROM job_logs WHERE job_id = ? AND LOWER(message) LIKE LOWER(?) ESCAPE '\\'") +
                        levelClause(levels, &values);
    auto q = m_db->run(sql, values, "counting matches in a log");
    if (!q)
        return unreadableLog(q.error());
    MatchCount out;
    if (q.value().next()) {
        out.total = q.value().value(0).toLongLong();
        out.through = q.value().value(1).toLongLong();
    }
    return out;
}

qint64 LogStore::count(const QString &jobId)
{
    flush();
    auto q = m_db->run(QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = ?"), {jobId}, "counting log lines");
    return q && q.value().next() ? q.value().value(0).toLongLong() : 0;
}

} // namespace cd::store
