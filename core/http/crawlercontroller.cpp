#include "crawlercontroller.h"

#include "auth.h"
#include "jobs/jobspec.h"
#include "logs/logbus.h"
#include "router.h"
#include "scheduler/scheduler.h"
#include "ssehub.h"
#include "store/jobstore.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <limits>
#include <memory>

namespace cd::http {

using Method = QHttpServerRequest::Method;
using Code = Error::Code;

namespace {
constexpr int kMaxMessagesPerCall = 10000;

// NotFound gets the seed client's explanation; anything else (a database that cannot be read) is
// passed on as it is, never turned into "no such job".
Error explained(const Error &e, const QString &id)
{
    if (e.code != Code::NotFound)
        return e;
    return Error::make(Code::NotFound,
                       QStringLiteral("job %1 not found: it was never created on this server (or was deleted). "
                                      "Create jobs with POST /api/crawler/start and send their job_id in callbacks")
                           .arg(id));
}

struct LogBody
{
    QString jobId;
    QStringList lines;
};

// The log callback's body: {job_id, message} or {job_id, messages: [..]}. Everything else (null,
// wrong types, both or neither, unknown fields) is refused with the field named: a worker whose
// lines are silently dropped is worse than one that fails loudly.
Result<LogBody> parseLogBody(const QJsonObject &body)
{
    static const QStringList known{QStringLiteral("job_id"), QStringLiteral("message"), QStringLiteral("messages")};
    QStringList unknown;
    for (auto it = body.begin(); it != body.end(); ++it)
        if (!known.contains(it.key()))
            unknown << it.key();
    if (!unknown.isEmpty())
        return jobs::unknownKeys(unknown, known);
    auto bad = [](const QString &detail) { return Error::make(Code::Unprocessable, detail); };

    const QJsonValue idValue = body.value(QStringLiteral("job_id"));
    if (!idValue.isString() || idValue.toString().isEmpty())
        return bad(QStringLiteral("'job_id' is required: the job's id as a string"));
    LogBody out{idValue.toString(), {}};

    const QJsonValue message = body.value(QStringLiteral("message"));
    const QJsonValue messages = body.value(QStringLiteral("messages"));
    if (!message.isUndefined() && !messages.isUndefined())
        return bad(QStringLiteral("send either 'message' or 'messages', not both"));
    if (message.isUndefined() && messages.isUndefined())
        return bad(QStringLiteral("'message' (a string) or 'messages' (a list of strings) is required"));
    if (!message.isUndefined()) {
        if (!message.isString())
            return bad(QStringLiteral("'message' must be a string, got %1").arg(jobs::typeName(message)));
        // An empty message is an empty line: workers print blank lines too.
        out.lines = message.toString().split(u'\n');
    } else {
        if (!messages.isArray())
            return bad(QStringLiteral("'messages' must be a list of strings, got %1").arg(jobs::typeName(messages)));
        const QJsonArray list = messages.toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (!list.at(i).isString())
                return bad(
                    QStringLiteral("'messages' entry %1 is %2, not a string").arg(i).arg(jobs::typeName(list.at(i))));
            out.lines << list.at(i).toString().split(u'\n');
        }
    }
    // Trailing empty piece of a message that ended with a newline is not a line.
    if (out.lines.size() > 1 && out.lines.last().isEmpty())
        out.lines.removeLast();
    return out;
}

// The answer to a committed callback, sent hundreds of times per group commit. Job ids made here
// are UUIDs: such an id needs no escaping, and the bytes are written directly, as QJsonDocument
// would write them (keys sorted, compact), without building a QJsonObject per answer.
void answerLogged(Reply &reply, const QString &jobId, int count)
{
    const bool plain = std::all_of(jobId.cbegin(), jobId.cend(), [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'-';
    });
    if (!plain)
        return reply.json(QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                                      {QStringLiteral("job_id"), jobId},
                                      {QStringLiteral("message"), QStringLiteral("Log message received and queued")},
                                      {QStringLiteral("lines"), count}});
    reply.bytes(QByteArrayLiteral("application/json"), "{\"job_id\":\"" + jobId.toLatin1() +
                                                           "\",\"lines\":" + QByteArray::number(count) +
                                                           ",\"message\":\"Log message received and queued\","
                                                           "\"status\":\"success\"}");
}
} // namespace

CrawlerController::CrawlerController(Services services, QObject *parent) : QObject(parent), m_s(std::move(services)) {}

void CrawlerController::registerRoutes(Router &router)
{
    auto bind = [this](void (CrawlerController::*fn)(const Request &, Reply &&)) {
        return [this, fn](const Request &req, Reply &&reply) { (this->*fn)(req, std::move(reply)); };
    };
    // POST /api/crawler/start — control. Body {keywords:[..], domain_count, backend?, start_urls?,
    // params?, profile?, priority?, timeout_s?, max_attempts?} (jobs::fromJson). 200 {job_id, status,
    // message, callback_url}; 401/403; 400 malformed JSON or a repeated key; 415; 422 unknown, null
    // or invalid fields (named); 503 backend not configured.
    router.add(Method::Post, QStringLiteral("/api/crawler/start"), Access::Control, {},
               bind(&CrawlerController::start));
    // POST /api/crawler/log — callback. Body {job_id, message} or {job_id, messages:[..]}, nothing
    // else. 200 {status:"success", job_id, message, lines} once the lines are committed; 401/429
    // before the body is read, 403 a token of another job; 404 unknown job (valid credentials only);
    // 400/413/415/422 bad body (the field is named), but 401 when the token could not be checked yet
    // (one without its job's id); 503 storage unreadable or did not commit in time.
    router.add(Method::Post, QStringLiteral("/api/crawler/log"), Access::Handler, {}, bind(&CrawlerController::log));
    // GET /api/crawler/logs/{id} — read. SSE: `id: seq` + `data: message` per line, `event: status`,
    // `event: end` after the terminal status, `: keepalive` comments. Resumes after Last-Event-ID or
    // ?after= (a sequence number; 400 otherwise). 404 unknown job; 503 storage unreadable. A later
    // failed read sends `event: error` {error, detail, last_seq} and closes: no line is skipped.
    router.add(Method::Get, QStringLiteral("/api/crawler/logs/{}"), Access::Read, {QStringLiteral("after")},
               bind(&CrawlerController::stream));
    // GET /api/crawler/status/{id} — read. 200 the job as JSON; 400 any query parameter; 404; 503
    // storage unreadable.
    router.add(Method::Get, QStringLiteral("/api/crawler/status/{}"), Access::Read, {},
               bind(&CrawlerController::status));
    // POST /api/crawler/cancel/{id} — control. 200 {job_id, status, message}; 400 any query
    // parameter; 404; 409 already terminal; 503 storage unreadable.
    router.add(Method::Post, QStringLiteral("/api/crawler/cancel/{}"), Access::Control, {},
               bind(&CrawlerController::cancel));
}

void CrawlerController::start(const Request &req, Reply &&reply)
{
    const auto body = req.jsonObject();
    if (!body)
        return reply.error(body.error());
    const auto spec = jobs::fromJson(body.value(), jobs::Origin::SeedStart);
    if (!spec)
        return reply.error(spec.error());
    const auto job = m_s.scheduler->submit(spec.value());
    if (!job)
        return reply.error(job.error());
    reply.json(QJsonObject{
        {QStringLiteral("job_id"), job->id},
        {QStringLiteral("status"), model::toString(job->status)},
        {QStringLiteral("message"),
         jobs::isExternal(job->params)
             ? QStringLiteral("Job created: waiting for its worker to post log lines to callback_url; it completes "
                              "with the worker's [SUMMARY] line (send start_urls to run the built-in crawler)")
             : QStringLiteral("Crawler job queued on the %1 backend with %2 domains")
                   .arg(model::toString(job->backend))
                   .arg(job->params.value(QStringLiteral("domain_count")).toInt())},
        {QStringLiteral("callback_url"), m_s.callbackUrl ? m_s.callbackUrl(job->id) : QString()},
    });
}

void CrawlerController::log(const Request &req, Reply &&reply)
{
    // Credentials before the body: a caller without a valid one learns nothing, not even which jobs exist.
    Auth::Presented presented;
    if (const auto denial = m_s.auth->callbackPrecheck(req, &presented))
        return Auth::refuse(reply, *denial);
    const auto refuse = [&](const Error &e) { Auth::refuse(reply, m_s.auth->beforeVerified(req, presented, e)); };
    if (auto st = req.checkQuery(req.allowedQuery); !st)
        return refuse(st.error());
    const auto body = req.jsonObject();
    if (!body)
        return refuse(body.error());
    auto parsed = parseLogBody(body.value());
    if (!parsed)
        return refuse(parsed.error());
    const QString jobId = parsed->jobId;
    QStringList lines = std::move(parsed).value().lines;
    if (lines.size() > kMaxMessagesPerCall)
        return refuse(
            Error::make(Code::PayloadTooLarge, QStringLiteral("at most %1 lines per call").arg(kMaxMessagesPerCall)));
    // The token must belong to the job the body names; checked before revealing whether it exists.
    if (const auto denial = m_s.auth->callback(req, jobId, presented))
        return Auth::refuse(reply, *denial);
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(explained(st.error(), jobId));
    if (lines.isEmpty())
        return reply.json(QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                                      {QStringLiteral("job_id"), jobId},
                                      {QStringLiteral("message"), QStringLiteral("No lines in the call")},
                                      {QStringLiteral("lines"), 0}});

    const quint64 ticket = m_s.bus->append(jobId, model::LogSource::Callback, lines);
    const int count = static_cast<int>(lines.size());
    // Park the reply; answer when the group commit holding these lines is durable.
    auto parked = std::make_shared<Reply>(std::move(reply));
    m_s.bus->whenDurable(ticket, this, [parked, jobId, count](bool ok) {
        if (!ok)
            return parked->error(Error::make(Code::Unavailable,
                                             QStringLiteral("the log lines are queued but were not committed in time; "
                                                            "retry the call")));
        answerLogged(*parked, jobId, count);
    });
}

void CrawlerController::stream(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    const auto afterQuery = req.queryInt(QStringLiteral("after"), 0, std::numeric_limits<qint64>::max());
    if (!afterQuery)
        return reply.error(afterQuery.error());
    qint64 after = afterQuery.value().value_or(0);
    const QByteArray lastId = req.header(QByteArrayLiteral("last-event-id")).trimmed();
    if (!lastId.isEmpty()) {
        bool ok = false;
        after = lastId.toLongLong(&ok);
        if (!ok || after < 0)
            return reply.error(Error::make(
                Code::InvalidArgument, QStringLiteral("'Last-Event-ID' must be a sequence number from this stream")));
    }
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(explained(st.error(), jobId));
    m_s.sse->subscribe(jobId, after, std::move(reply));
}

void CrawlerController::status(const Request &req, Reply &&reply)
{
    const auto job = m_s.jobs->job(req.args.value(0));
    if (!job)
        return reply.error(explained(job.error(), req.args.value(0)));
    reply.json(job->toJson());
}

void CrawlerController::cancel(const Request &req, Reply &&reply)
{
    const auto job = m_s.scheduler->cancel(req.args.value(0));
    if (!job)
        return reply.error(explained(job.error(), req.args.value(0)));
    reply.json(QJsonObject{{QStringLiteral("job_id"), job->id},
                           {QStringLiteral("status"), model::toString(job->status)},
                           {QStringLiteral("message"), job->status == model::JobStatus::Cancelled
                                                           ? QStringLiteral("Job cancelled")
                                                           : QStringLiteral("Cancellation requested")}});
}

} // namespace cd::http
