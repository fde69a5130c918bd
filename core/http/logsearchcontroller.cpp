#include "logsearchcontroller.h"

#include "logscontroller.h"
#include "reply.h"
#include "request.h"
#include "router.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QJsonObject>

#include <limits>

namespace cd::http {

using Method = QHttpServerRequest::Method;
using Code = Error::Code;

LogSearchController::LogSearchController(Services services, QObject *parent) : QObject(parent), m_s(std::move(services))
{}

void LogSearchController::registerRoutes(Router &router)
{
    // GET /api/jobs/{id}/logs/count?q=TEXT&level=…&at=SEQ — read. 200 {job_id, count, rank}: `count`
    // lines contain `q` (case-insensitive, as logs/find), at `level` when given; `rank` of them are
    // at or before line `at` (0 without `at`), so a match at `at` is match `rank` of `count`. A
    // non-empty `q` is required. 400 bad, missing or unknown parameter; 404; 503 the log cannot be read.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/logs/count"), Access::Read,
               {QStringLiteral("q"), QStringLiteral("level"), QStringLiteral("at")},
               [this](const Request &req, Reply &&reply) { count(req, std::move(reply)); });
}

void LogSearchController::count(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    const QString text = req.queryValue(QStringLiteral("q"));
    if (text.isEmpty())
        return reply.error(Error::make(Code::InvalidArgument, QStringLiteral("query parameter 'q' is required")));
    const auto at = req.queryInt(QStringLiteral("at"), 0, std::numeric_limits<qint64>::max());
    if (!at)
        return reply.error(at.error());
    const auto levels = LogsController::queryLevels(req);
    if (!levels)
        return reply.error(levels.error());
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(st.error());
    const auto counted = m_s.logs->readCountMatching(jobId, text, levels.value(), at->value_or(0));
    if (!counted)
        return reply.error(counted.error());
    reply.json(QJsonObject{{QStringLiteral("job_id"), jobId},
                           {QStringLiteral("count"), counted->total},
                           {QStringLiteral("rank"), counted->through}});
}

} // namespace cd::http
