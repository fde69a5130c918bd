#include "jobscontroller.h"

#include "artifacts/artifactstore.h"
#include "eventshub.h"
#include "guardedtcpserver.h"
#include "jobrequest.h"
#include "router.h"
#include "scheduler/scheduler.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QFile>
#include <QHttpServerResponder>
#include <QJsonArray>
#include <QJsonObject>

#include <memory>

namespace cd::http {

using Method = QHttpServerRequest::Method;
using Code = Error::Code;

namespace {
Error unknownJob(const QString &id)
{
    return Error::make(Code::NotFound, QStringLiteral("job %1 not found").arg(id));
}

// Streams a whole log as text, one page at a time as the socket drains.
class LogTextWriter : public QObject
{
public:
    LogTextWriter(store::LogStore *logs, QString jobId, Reply &&reply)
        : m_logs(logs), m_jobId(std::move(jobId)), m_reply(std::move(reply))
    {
        QTcpSocket *s = m_reply.socket();
        setParent(s);
        connect(s, &QTcpSocket::bytesWritten, this, [this] { pump(); });
        m_reply.beginStream(QByteArrayLiteral("text/plain; charset=utf-8"));
        pump();
    }

private:
    void pump()
    {
        QTcpSocket *s = m_reply.socket();
        while (!m_done && s && s->bytesToWrite() < 1024 * 1024) {
            const auto lines = m_logs->lines(store::LogQuery{m_jobId, m_after, 5000, {}, {}});
            QByteArray chunk;
            for (const auto &l : lines) {
                chunk += model::isoUtc(l.ts).toUtf8() + ' ' + model::toString(l.level).toUtf8() + ' ' +
                         l.message.toUtf8() + '\n';
                m_after = l.seq;
            }
            m_reply.streamWrite(chunk);
            if (lines.size() < 5000) {
                m_done = true;
                m_reply.endStream();
            }
        }
    }

    store::LogStore *m_logs;
    QString m_jobId;
    Reply m_reply;
    qint64 m_after = 0;
    bool m_done = false;
};
} // namespace

JobsController::JobsController(Services services, QObject *parent) : QObject(parent), m_s(std::move(services)) {}

void JobsController::registerRoutes(Router &router)
{
    auto bind = [this](void (JobsController::*fn)(const Request &, Reply &&)) {
        return [this, fn](const Request &req, Reply &&reply) { (this->*fn)(req, std::move(reply)); };
    };
    // GET /api/jobs?status=a,b&backend=&q=&limit=1..1000&before=<job id> — read.
    // 200 {jobs:[job..], next_before: id|null}; 400 bad filter.
    router.add(Method::Get, QStringLiteral("/api/jobs"), Access::Read, bind(&JobsController::list));
    // POST /api/jobs — control. Body as /api/crawler/start (keywords optional), plus kind.
    // 201 the job; 400/415/422; 503 backend not configured.
    router.add(Method::Post, QStringLiteral("/api/jobs"), Access::Control, bind(&JobsController::create));
    // GET /api/jobs/{id} — read. 200 the job; 404.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}"), Access::Read, bind(&JobsController::get));
    // POST /api/jobs/{id}/cancel — control. 200 the job (cancelling or cancelled); 404; 409 terminal.
    router.add(Method::Post, QStringLiteral("/api/jobs/{}/cancel"), Access::Control, bind(&JobsController::cancel));
    // POST /api/jobs/{id}/retry — control. 201 the new attempt (retry_of = id); 404; 409 not
    // failed/timed_out/cancelled.
    router.add(Method::Post, QStringLiteral("/api/jobs/{}/retry"), Access::Control, bind(&JobsController::retry));
    // GET /api/jobs/{id}/logs?after=&limit=1..10000&level=ERROR,WARNING&q= — read.
    // 200 {job_id, lines:[{seq,ts,level,message,source}], next_after, has_more}; 400; 404.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/logs"), Access::Read, bind(&JobsController::logs));
    // GET /api/jobs/{id}/logs.txt — read. 200 text/plain, "ts LEVEL message" per line; 404.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/logs.txt"), Access::Read, bind(&JobsController::logText));
    // GET /api/events — read. SSE: `event: job` with {type: created|changed, job} for every job
    // creation and change; `: keepalive` every 15 s. Not replayable: re-list /api/jobs on reconnect.
    router.add(Method::Get, QStringLiteral("/api/events"), Access::Read, [this](const Request &, Reply &&reply) {
        if (m_s.events)
            m_s.events->subscribe(std::move(reply));
        else
            reply.error(Error::make(Code::Unavailable, QStringLiteral("job events are not available")));
    });
    // GET /api/jobs/{id}/artifacts — read. 200 {job_id, artifacts:[{name,size,sha256,mime,source_url,created_at}]}.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/artifacts"), Access::Read, bind(&JobsController::artifacts));
    // GET /api/jobs/{id}/artifacts/{name} — read. 200 the file (Content-Disposition: attachment);
    // 400 a name that leaves the job's directory; 404.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/artifacts/{*}"), Access::Read,
               bind(&JobsController::artifact));
}

void JobsController::list(const Request &req, Reply &&reply)
{
    const auto filter = store::JobFilter::fromQuery(req.query);
    if (!filter)
        return reply.error(filter.error());
    const auto jobs = m_s.jobs->jobs(filter.value());
    QJsonArray arr;
    for (const auto &j : jobs)
        arr.append(j.toJson());
    const bool more = jobs.size() == filter->limit;
    reply.json(QJsonObject{{QStringLiteral("jobs"), arr},
                           {QStringLiteral("next_before"), more ? QJsonValue(jobs.last().id) : QJsonValue()}});
}

void JobsController::create(const Request &req, Reply &&reply)
{
    const auto body = req.jsonObject();
    if (!body)
        return reply.error(body.error());
    const auto spec = JobRequest::parse(body.value(), false);
    if (!spec)
        return reply.error(spec.error());
    const auto job = m_s.scheduler->submit(spec.value());
    if (!job)
        return reply.error(job.error());
    QJsonObject o = job->toJson();
    if (m_s.callbackUrl)
        o.insert(QStringLiteral("callback_url"), m_s.callbackUrl(job->id));
    reply.json(o, 201);
}

void JobsController::get(const Request &req, Reply &&reply)
{
    const auto job = m_s.jobs->job(req.args.value(0));
    if (!job)
        return reply.error(unknownJob(req.args.value(0)));
    reply.json(job->toJson());
}

void JobsController::cancel(const Request &req, Reply &&reply)
{
    const auto job = m_s.scheduler->cancel(req.args.value(0));
    if (!job)
        return reply.error(job.error());
    reply.json(job->toJson());
}

void JobsController::retry(const Request &req, Reply &&reply)
{
    const auto job = m_s.scheduler->retry(req.args.value(0));
    if (!job)
        return reply.error(job.error());
    reply.json(job->toJson(), 201);
}

void JobsController::logs(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (!m_s.jobs->exists(jobId))
        return reply.error(unknownJob(jobId));
    store::LogQuery q;
    q.jobId = jobId;
    bool ok = true;
    if (!req.queryValue(QStringLiteral("after")).isEmpty())
        q.after = req.queryValue(QStringLiteral("after")).toLongLong(&ok);
    if (!ok || q.after < 0)
        return reply.error(Error::make(Code::InvalidArgument, QStringLiteral("'after' must be a sequence number")));
    if (!req.queryValue(QStringLiteral("limit")).isEmpty()) {
        q.limit = req.queryValue(QStringLiteral("limit")).toInt(&ok);
        if (!ok || q.limit < 1 || q.limit > 10000)
            return reply.error(Error::make(Code::InvalidArgument, QStringLiteral("'limit' must be 1..10000")));
    }
    for (const QString &l : req.queryValue(QStringLiteral("level")).split(u',', Qt::SkipEmptyParts)) {
        const auto level = model::logLevelFromString(l.trimmed());
        if (!level)
            return reply.error(Error::make(Code::InvalidArgument, QStringLiteral("unknown level '%1'").arg(l)));
        q.levels.append(*level);
    }
    q.text = req.queryValue(QStringLiteral("q"));
    const auto lines = m_s.logs->lines(q);
    QJsonArray arr;
    for (const auto &l : lines)
        arr.append(l.toJson());
    reply.json(QJsonObject{{QStringLiteral("job_id"), jobId},
                           {QStringLiteral("lines"), arr},
                           {QStringLiteral("next_after"), lines.isEmpty() ? q.after : lines.last().seq},
                           {QStringLiteral("has_more"), lines.size() == q.limit}});
}

void JobsController::logText(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (!m_s.jobs->exists(jobId))
        return reply.error(unknownJob(jobId));
    if (!reply.socket())
        return;
    new LogTextWriter(m_s.logs, jobId, std::move(reply));
}

void JobsController::artifacts(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (!m_s.jobs->exists(jobId))
        return reply.error(unknownJob(jobId));
    QJsonArray arr;
    for (const auto &a : m_s.jobs->artifacts(jobId))
        arr.append(a.toJson());
    reply.json(QJsonObject{{QStringLiteral("job_id"), jobId}, {QStringLiteral("artifacts"), arr}});
}

void JobsController::artifact(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (!m_s.jobs->exists(jobId))
        return reply.error(unknownJob(jobId));
    const QString name = req.args.value(1);
    const auto path = m_s.artifacts->resolve(jobId, name);
    if (!path)
        return reply.error(path.error());
    const auto meta = m_s.jobs->artifact(jobId, name);
    const QByteArray mime = meta ? meta->mime.toUtf8() : QByteArrayLiteral("application/octet-stream");
    const QString base = name.section(u'/', -1);
    const QByteArray disposition = "attachment; filename*=UTF-8''" + QUrl::toPercentEncoding(base);
    auto file = std::make_unique<QFile>(path.value());
    if (!file->open(QIODevice::ReadOnly))
        return reply.error(Error::make(Code::Internal, QStringLiteral("cannot read artifact: ") + file->errorString()));
    if (!reply.alive())
        return;
    // The responder streams the file and deletes it at the end: only then may the next pipelined
    // request on this connection be answered.
    QTcpSocket *socket = reply.socket();
    connect(file.get(), &QObject::destroyed, socket, [socket] { GuardedTcpServer::responseDone(socket); });
    auto responder = reply.takeResponder();
    responder->write(file.release(), {{QByteArrayLiteral("Content-Type"), mime},
                                      {QByteArrayLiteral("Content-Disposition"), disposition}});
}

} // namespace cd::http
