#include "logstore.h"

#include "common/logging.h"
#include "database.h"
#include "model/job.h"
#include "sqlutil.h"

#include <QHash>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace cd::store {

using model::LogLine;

LogStore::LogStore(Database *db, QObject *parent) : QObject(parent), m_db(db)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { flush(); });
}

LogStore::~LogStore()
{
    flush();
    m_insert.reset();
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

void LogStore::flushSoon()
{
    if (m_pending.isEmpty() || m_failures > 0)
        return;
    if (!m_timer.isActive() || m_timer.remainingTime() > 0)
        m_timer.start(0);
}

namespace {

const QString kInsertLine =
    QStringLiteral("INSERT INTO job_logs (job_id, seq, ts, level, message, source) VALUES (?, ?, ?, ?, ?, ?)");
const QString kRaiseLogCount = QStringLiteral("UPDATE jobs SET log_count = ? WHERE id = ? AND log_count < ?");
} // namespace

void LogStore::markCommitted(qsizetype lines)
{
    m_linesCommitted += static_cast<quint64>(lines);
    ++m_commits;
    m_failures = 0;
    m_committed = m_ticket;
    Q_EMIT committed(m_committed);
}

bool LogStore::flush()
{
    m_timer.stop();
    if (m_pending.isEmpty())
        return true;
    // Repeated failures while the database answers: perhaps one line is what fails the batch.
    if (m_failures >= kIsolateAfterFailures && m_db->reachable())
        return isolateBadLines();
    if (m_insert && m_insertGeneration != m_db->generation())
        m_insert.reset(); // prepared on a connection that was since replaced
    QSqlDatabase &db = m_db->db();
    auto fail = [this, &db](const QString &why) {
        db.rollback();
        // A dropped PostgreSQL connection is reopened here; the retry prepares again.
        if (m_db->reconnectIfLost())
            m_insert.reset();
        ++m_failures;
        ++m_commitFailures;
        // Back off so a full disk or a dropped connection is not hammered; the lines stay queued.
        m_timer.start(qMin(5000, 100 * (1 << qMin(m_failures, 6))));
        Q_EMIT commitFailed(why);
        return false;
    };
    if (!db.transaction())
        return fail(db.lastError().text());
    if (!m_insert) {
        m_insert = std::make_unique<QSqlQuery>(db);
        if (!m_insert->prepare(kInsertLine)) {
            const QString why = m_insert->lastError().text();
            m_insert.reset();
            return fail(why);
        }
        m_insertGeneration = m_db->generation();
    }
    QSqlQuery &ins = *m_insert;
    QHash<QString, qint64> maxSeq;
    for (const LogLine &l : std::as_const(m_pending)) {
        ins.bindValue(0, l.jobId);
        ins.bindValue(1, l.seq);
        ins.bindValue(2, model::isoUtc(l.ts));
        ins.bindValue(3, model::toString(l.level));
        ins.bindValue(4, l.message);
        ins.bindValue(5, model::toString(l.source));
        if (!ins.exec())
            return fail(ins.lastError().text());
        qint64 &m = maxSeq[l.jobId];
        m = qMax(m, l.seq);
    }
    QSqlQuery upd(db);
    upd.prepare(kRaiseLogCount);
    for (auto it = maxSeq.cbegin(); it != maxSeq.cend(); ++it) {
        upd.bindValue(0, it.value());
        upd.bindValue(1, it.key());
        upd.bindValue(2, it.value());
        if (!upd.exec())
            return fail(upd.lastError().text());
    }
    if (!db.commit())
        return fail(db.lastError().text());
    markCommitted(std::exchange(m_pending, {}).size());
    return true;
}

bool LogStore::isolateBadLines()
{
    // One line at a time: a line the database still refuses is stored as a warning that says so,
    // and dropped (counted) only if even that fails, so one bad line cannot stall every job's log.
    auto insert = [this](const LogLine &l) {
        return m_db
            ->run(kInsertLine,
                  {l.jobId, l.seq, model::isoUtc(l.ts), model::toString(l.level), l.message, model::toString(l.source)},
                  "storing a log line")
            .ok();
    };
    QHash<QString, qint64> maxSeq;
    qsizetype done = 0;
    for (; done < m_pending.size(); ++done) {
        const LogLine &l = m_pending.at(done);
        if (!insert(l)) {
            LogLine warning = l;
            warning.level = model::LogLevel::Warning;
            warning.source = model::LogSource::System;
            warning.message = QStringLiteral("[a log line could not be stored; its first 200 characters: %1]")
                                  .arg(l.message.left(200));
            if (!insert(warning)) {
                if (!m_db->reachable())
                    break; // down after all: the rest waits for the next try
                ++m_linesDropped;
                qCWarning(lcStore) << "dropped log line" << l.seq << "of job" << l.jobId << ": the database refuses it";
            }
        }
        qint64 &m = maxSeq[l.jobId];
        m = qMax(m, l.seq);
    }
    for (auto it = maxSeq.cbegin(); it != maxSeq.cend(); ++it)
        m_db->run(kRaiseLogCount, {it.value(), it.key(), it.value()}, "counting log lines");
    m_pending.remove(0, done); // what was written is never written twice
    if (!m_pending.isEmpty()) {
        m_timer.start(5000);
        return false;
    }
    markCommitted(done);
    return true;
}

qint64 LogStore::lastSeq(const QString &jobId) const
{
    auto q =
        m_db->run(QStringLiteral("SELECT MAX(seq) FROM job_logs WHERE job_id = ?"), {jobId}, "reading a log's length");
    return q && q.value().next() ? q.value().value(0).toLongLong() : 0;
}

Result<model::LogLines> LogStore::page(const LogQuery &query)
{
    flush();
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
    if (!r) {
        qCWarning(lcStore).noquote() << r.error().detail;
        return Error::make(Error::Code::Unavailable,
                           QStringLiteral("the job's log cannot be read right now; retry shortly"));
    }
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

QList<qint64> LogStore::seqsAtLevels(const QString &jobId, const QList<model::LogLevel> &levels)
{
    flush();
    QVariantList values{jobId};
    const QString sql = QStringLiteral("SELECT seq FROM job_logs WHERE job_id = ?") + levelClause(levels, &values) +
                        QStringLiteral(" ORDER BY seq");
    auto q = m_db->run(sql, values, "filtering a log");
    QList<qint64> out;
    if (q)
        while (q.value().next())
            out.append(q.value().value(0).toLongLong());
    return out;
}

qint64 LogStore::findSeq(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
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
    return q && q.value().next() ? q.value().value(0).toLongLong() : 0;
}

qint64 LogStore::count(const QString &jobId)
{
    flush();
    auto q = m_db->run(QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = ?"), {jobId}, "counting log lines");
    return q && q.value().next() ? q.value().value(0).toLongLong() : 0;
}

} // namespace cd::store
