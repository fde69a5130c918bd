#include "logscontroller.h"

#include "reply.h"
#include "request.h"
#include "router.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QJsonArray>
#include <QJsonObject>

#include <limits>

namespace cd::http {

using Method = QHttpServerRequest::Method;
using Code = Error::Code;

LogsController::LogsController(Services services, QObject *parent) : QObject(parent), m_s(std::move(services)) {}

void LogsController::registerRoutes(Router &router)
{
    // GET /api/jobs/{id}/logs/index?level=ERROR,WARNING&after=SEQ&limit=1..100000 — read.
    // 200 {job_id, last_seq, seqs:[seq..], next_after, has_more}: the job's lines are 1..last_seq
    // (its length when this page was read); `seqs` are those at the levels asked for, after `after`
    // (default 0) and up to last_seq, in order, at most `limit` (default 100000), empty without
    // `level`. Paged as /logs: has_more when the page is full, next_after = its last seq (or `after`).
    // A reader paging keeps the first page's last_seq and drops later seqs above it. 400 bad,
    // repeated or unknown parameter; 404; 503 the log cannot be read.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/logs/index"), Access::Read,
               {QStringLiteral("level"), QStringLiteral("after"), QStringLiteral("limit")},
               [this](const Request &req, Reply &&reply) { index(req, std::move(reply)); });
    // GET /api/jobs/{id}/logs/find?from=SEQ&dir=next|prev&q=TEXT&level=… — read. 200 {job_id, seq}:
    // the first line after (next) or before (prev) `from` whose message contains `q`
    // (case-insensitive), at `level` when given; seq 0 when there is none. `from`, `dir` and a
    // non-empty `q` are required. 400 bad, missing or unknown parameter; 404; 503 the log cannot be read.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/logs/find"), Access::Read,
               {QStringLiteral("from"), QStringLiteral("dir"), QStringLiteral("q"), QStringLiteral("level")},
               [this](const Request &req, Reply &&reply) { find(req, std::move(reply)); });
}

Result<QList<model::LogLevel>> LogsController::queryLevels(const Request &req)
{
    QList<model::LogLevel> levels;
    for (const QString &l : req.queryValue(QStringLiteral("level")).split(u',', Qt::SkipEmptyParts)) {
        const auto level = model::logLevelFromString(l.trimmed());
        if (!level)
            return Error::make(Code::InvalidArgument,
                               QStringLiteral("query parameter 'level': unknown level '%1'; one of DEBUG, INFO, "
                                              "SUCCESS, WARNING, ERROR, SUMMARY")
                                   .arg(l.left(64)));
        levels.append(*level);
    }
    return levels;
}

void LogsController::index(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    const auto levels = queryLevels(req);
    if (!levels)
        return reply.error(levels.error());
    const auto after = req.queryInt(QStringLiteral("after"), 0, std::numeric_limits<qint64>::max());
    if (!after)
        return reply.error(after.error());
    const auto limit = req.queryInt(QStringLiteral("limit"), 1, kMaxIndexPage);
    if (!limit)
        return reply.error(limit.error());
    const qint64 from = after->value_or(0);
    const int pageSize = static_cast<int>(limit->value_or(kMaxIndexPage));
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(st.error());
    // The length first: lines committed between the two reads are beyond it and left out, so the
    // row map and last_seq describe the same log.
    const auto last = m_s.logs->readLastSeq(jobId);
    if (!last)
        return reply.error(last.error());
    QJsonArray seqs;
    qint64 nextAfter = from;
    bool more = false;
    if (!levels->isEmpty()) {
        const auto at = m_s.logs->readSeqsAtLevels(jobId, levels.value(), from, pageSize, last.value());
        if (!at)
            return reply.error(at.error());
        for (qint64 s : at.value())
            seqs.append(s);
        if (!at->isEmpty())
            nextAfter = at->last();
        more = at->size() == pageSize;
    }
    reply.json(QJsonObject{{QStringLiteral("job_id"), jobId},
                           {QStringLiteral("last_seq"), last.value()},
                           {QStringLiteral("seqs"), seqs},
                           {QStringLiteral("next_after"), nextAfter},
                           {QStringLiteral("has_more"), more}});
}

void LogsController::find(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    const auto from = req.queryInt(QStringLiteral("from"), 0, std::numeric_limits<qint64>::max());
    if (!from)
        return reply.error(from.error());
    if (!from->has_value())
        return reply.error(Error::make(Code::InvalidArgument, QStringLiteral("query parameter 'from' is required")));
    const QString dir = req.queryValue(QStringLiteral("dir"));
    if (dir != u"next" && dir != u"prev")
        return reply.error(
            Error::make(Code::InvalidArgument,
                        QStringLiteral("query parameter 'dir' must be 'next' or 'prev', got '%1'").arg(dir.left(64))));
    const QString text = req.queryValue(QStringLiteral("q"));
    if (text.isEmpty())
        return reply.error(Error::make(Code::InvalidArgument, QStringLiteral("query parameter 'q' is required")));
    const auto levels = queryLevels(req);
    if (!levels)
        return reply.error(levels.error());
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(st.error());
    const auto seq = m_s.logs->readFindSeq(jobId, **from, text, dir == u"next", levels.value());
    if (!seq)
        return reply.error(seq.error());
    reply.json(QJsonObject{{QStringLiteral("job_id"), jobId}, {QStringLiteral("seq"), seq.value()}});
}

} // namespace cd::http
