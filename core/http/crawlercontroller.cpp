#include "crawlercontroller.h"

#include "auth.h"
#include "jobrequest.h"
#include "logs/logbus.h"
#include "router.h"
#include "scheduler/scheduler.h"
#include "ssehub.h"
#include "store/jobstore.h"

#include <QJsonArray>
#include <QJsonObject>

#include <memory>

namespace cd::http {

using Method = QHttpServerRequest::Method;
using Code = Error::Code;

namespace {
constexpr int kMaxMessagesPerCall = 10000;

Error unknownJob(const QString &id)
{
    return Error::make(Code::NotFound,
                       QStringLiteral("job %1 not found: it was never created on this server (or was deleted). "
                                      "Create jobs with POST /api/crawler/start and send their job_id in callbacks")
                           .arg(id));
}
} // namespace

CrawlerController::CrawlerController(Services services, QObject *parent) : QObject(parent), m_s(std::move(services)) {}

void CrawlerController::registerRoutes(Router &router)
{
    auto bind = [this](void (CrawlerController::*fn)(const Request &, Reply &&)) {
        return [this, fn](const Request &req, Reply &&reply) { (this->*fn)(req, std::move(reply)); };
    };
    // POST /api/crawler/start — control. Body {keywords:[..], domain_count, backend?, start_urls?,
    // params?, profile?, priority?, timeout_s?, max_attempts?}. 200 {job_id, status, message,
    // callback_url}; 401/403; 400 malformed JSON; 415; 422 invalid fields; 503 backend not configured.
    router.add(Method::Post, QStringLiteral("/api/crawler/start"), Access::Control, bind(&CrawlerController::start));
    // POST /api/crawler/log — callback. Body {job_id, message} or {job_id, messages:[..]}. 200
    // {status:"success", job_id, message, first_seq, last_seq} once the lines are committed; 401/429
    // before the body is read, 403 a token of another job; 404 unknown job (valid credentials only);
    // 400/415/422 bad body; 503 storage did not commit in time.
    router.add(Method::Post, QStringLiteral("/api/crawler/log"), Access::Handler, bind(&CrawlerController::log));
    // GET /api/crawler/logs/{id} — read. SSE: `id: seq` + `data: message` per line, `event: status`,
    // `event: end` after the terminal status, `: keepalive` comments. Resumes after Last-Event-ID or
    // ?after=. 404 unknown job.
    router.add(Method::Get, QStringLiteral("/api/crawler/logs/{}"), Access::Read, bind(&CrawlerController::stream));
    // GET /api/crawler/status/{id} — read. 200 the job as JSON; 404.
    router.add(Method::Get, QStringLiteral("/api/crawler/status/{}"), Access::Read, bind(&CrawlerController::status));
    // POST /api/crawler/cancel/{id} — control. 200 {job_id, status, message}; 404; 409 already terminal.
    router.add(Method::Post, QStringLiteral("/api/crawler/cancel/{}"), Access::Control,
               bind(&CrawlerController::cancel));
}

void CrawlerController::start(const Request &req, Reply &&reply)
{
    const auto body = req.jsonObject();
    if (!body)
        return reply.error(body.error());
    const auto spec = JobRequest::parse(body.value(), true);
    if (!spec)
        return reply.error(spec.error());
    const auto job = m_s.scheduler->submit(spec.value());
    if (!job)
        return reply.error(job.error());
    reply.json(QJsonObject{
        {QStringLiteral("job_id"), job->id},
        {QStringLiteral("status"), model::toString(job->status)},
        {QStringLiteral("message"),
         job->params.value(QStringLiteral("profile")).toString() == u"external"
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
    if (const auto denial = m_s.auth->callbackPrecheck(req))
        return Auth::refuse(reply, *denial);
    const auto body = req.jsonObject();
    if (!body)
        return reply.error(body.error());
    const QJsonValue idValue = body->value(QStringLiteral("job_id"));
    if (!idValue.isString() || idValue.toString().isEmpty())
        return reply.error(Error::make(Code::Unprocessable, QStringLiteral("'job_id' is required (a string)")));
    const QString jobId = idValue.toString();

    QStringList lines;
    const QJsonValue message = body->value(QStringLiteral("message"));
    const QJsonValue messages = body->value(QStringLiteral("messages"));
    if (message.isString())
        lines << message.toString().split(u'\n');
    else if (!message.isUndefined() && !message.isNull())
        return reply.error(Error::make(Code::Unprocessable, QStringLiteral("'message' must be a string")));
    if (messages.isArray()) {
        for (const QJsonValue &m : messages.toArray()) {
            if (!m.isString())
                return reply.error(
                    Error::make(Code::Unprocessable, QStringLiteral("'messages' must be a list of strings")));
            lines << m.toString().split(u'\n');
        }
    } else if (!messages.isUndefined() && !messages.isNull()) {
        return reply.error(Error::make(Code::Unprocessable, QStringLiteral("'messages' must be a list of strings")));
    }
    if (message.isUndefined() && messages.isUndefined())
        return reply.error(Error::make(Code::Unprocessable,
                                       QStringLiteral("'message' (a string) or 'messages' (a list) is required")));
    if (lines.size() > kMaxMessagesPerCall)
        return reply.error(
            Error::make(Code::PayloadTooLarge, QStringLiteral("at most %1 lines per call").arg(kMaxMessagesPerCall)));
    // The token must belong to the job the body names; checked before revealing whether it exists.
    if (const auto denial = m_s.auth->callback(req, jobId))
        return Auth::refuse(reply, *denial);
    if (!m_s.jobs->exists(jobId))
        return reply.error(unknownJob(jobId));
    // Trailing empty piece of a message that ended with a newline is not a line.
    if (lines.size() > 1 && lines.last().isEmpty())
        lines.removeLast();

    const quint64 ticket = m_s.bus->append(jobId, model::LogSource::Callback, lines);
    const int count = static_cast<int>(lines.size());
    // Park the reply; answer when the group commit holding these lines is durable.
    auto parked = std::make_shared<Reply>(std::move(reply));
    m_s.bus->whenDurable(ticket, this, [parked, jobId, count](bool ok) {
        if (!ok)
            return parked->error(Error::make(Code::Unavailable,
                                             QStringLiteral("the log lines are queued but were not committed in time; "
                                                            "retry the call")));
        parked->json(QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                                 {QStringLiteral("job_id"), jobId},
                                 {QStringLiteral("message"), QStringLiteral("Log message received and queued")},
                                 {QStringLiteral("lines"), count}});
    });
}

void CrawlerController::stream(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (!m_s.jobs->exists(jobId))
        return reply.error(unknownJob(jobId));
    qint64 after = 0;
    const QByteArray lastId = req.header(QByteArrayLiteral("last-event-id"));
    if (!lastId.isEmpty())
        after = lastId.trimmed().toLongLong();
    else if (!req.queryValue(QStringLiteral("after")).isEmpty())
        after = req.queryValue(QStringLiteral("after")).toLongLong();
    m_s.sse->subscribe(jobId, after, std::move(reply));
}

void CrawlerController::status(const Request &req, Reply &&reply)
{
    const auto job = m_s.jobs->job(req.args.value(0));
    if (!job)
        return reply.error(unknownJob(req.args.value(0)));
    reply.json(job->toJson());
}

void CrawlerController::cancel(const Request &req, Reply &&reply)
{
    const auto job = m_s.scheduler->cancel(req.args.value(0));
    if (!job)
        return reply.error(job.error().code == Code::NotFound ? unknownJob(req.args.value(0)) : job.error());
    reply.json(QJsonObject{{QStringLiteral("job_id"), job->id},
                           {QStringLiteral("status"), model::toString(job->status)},
                           {QStringLiteral("message"), job->status == model::JobStatus::Cancelled
                                                           ? QStringLiteral("Job cancelled")
                                                           : QStringLiteral("Cancellation requested")}});
}

} // namespace cd::http
