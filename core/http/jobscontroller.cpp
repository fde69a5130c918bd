#include "jobscontroller.h"

#include "artifacts/artifactstore.h"
#include "artifacts/chunkdevice.h"
#include "auth.h"
#include "common/logging.h"
#include "eventshub.h"
#include "guardedtcpserver.h"
#include "jobs/jobspec.h"
#include "logscontroller.h"
#include "logsearchcontroller.h"
#include "router.h"
#include "scheduler/scheduler.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>

#include <limits>
#include <memory>

namespace cd::http {

using Method = QHttpServerRequest::Method;
using Code = Error::Code;

namespace {
constexpr int kMaxLogPage = 10000;

constexpr int kTextPage = 5000;

QByteArray textLines(const model::LogLines &lines)
{
    QByteArray out;
    for (const auto &l : lines)
        out += model::isoUtc(l.ts).toUtf8() + ' ' + model::toString(l.level).toUtf8() + ' ' + l.message.toUtf8() + '\n';
    return out;
}

// Streams a whole log as text, one page at a time as the socket drains. The body is chunked so that
// its end is explicit: when a later page cannot be read the connection is aborted without the last
// chunk, and the client sees a truncated transfer instead of a log that merely looks shorter.
class LogTextWriter : public QObject
{
public:
    LogTextWriter(store::LogStore *logs, QString jobId, model::LogLines first, Reply &&reply)
        : m_logs(logs), m_jobId(std::move(jobId)), m_reply(std::move(reply))
    {
        QTcpSocket *s = m_reply.socket();
        setParent(s);
        connect(s, &QTcpSocket::bytesWritten, this, [this] { pump(); });
        m_reply.beginStream(QByteArrayLiteral("text/plain; charset=utf-8"),
                            {{QByteArrayLiteral("Transfer-Encoding"), QByteArrayLiteral("chunked")}});
        send(first);
        pump();
    }

private:
    void send(const model::LogLines &lines)
    {
        if (!lines.isEmpty()) {
            const QByteArray text = textLines(lines);
            m_reply.streamWrite(QByteArray::number(text.size(), 16) + "\r\n" + text + "\r\n");
            m_after = lines.last().seq;
        }
        if (lines.size() < kTextPage) {
            m_done = true;
            m_reply.streamWrite(QByteArrayLiteral("0\r\n\r\n"));
            m_reply.endStream();
        }
    }

    void pump()
    {
        QTcpSocket *s = m_reply.socket();
        while (!m_done && s && s->bytesToWrite() < 1024 * 1024) {
            const auto page = m_logs->page(store::LogQuery{m_jobId, m_after, kTextPage, {}, {}});
            if (!page) {
                qCWarning(lcHttp) << "logs.txt of job" << m_jobId << "cut short after line" << m_after << ":"
                                  << page.error().detail;
                m_done = true;
                s->abort();
                return;
            }
            send(page.value());
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
    // 200 {jobs:[job..], next_before: id|null}; 400 bad or unknown parameter (named), or a `before`
    // that is no job; 503 storage unreadable.
    router.add(Method::Get, QStringLiteral("/api/jobs"), Access::Read, model::JobFilter::queryKeys(),
               bind(&JobsController::list));
    // POST /api/jobs — control. Body as /api/crawler/start (keywords optional), plus kind
    // (jobs::fromJson). 201 the job; 400/415/422 (the field is named); 503 backend not configured.
    router.add(Method::Post, QStringLiteral("/api/jobs"), Access::Control, {}, bind(&JobsController::create));
    // GET /api/jobs/{id} — read. 200 the job, plus `callback_url` (it carries the job's token) when
    // the request presented the API token; a client admitted without it (trusted loopback) does not
    // get it. 400 any query parameter; 404; 503 storage unreadable.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}"), Access::Read, {}, bind(&JobsController::get));
    // POST /api/jobs/{id}/cancel — control. 200 the job (cancelling or cancelled); 400 any query
    // parameter; 404; 409 terminal; 503 storage unreadable.
    router.add(Method::Post, QStringLiteral("/api/jobs/{}/cancel"), Access::Control, {}, bind(&JobsController::cancel));
    // POST /api/jobs/{id}/retry — control. 201 the new attempt (retry_of = id); 400 any query
    // parameter; 404; 409 not failed/timed_out/cancelled; 503 storage unreadable or backend not
    // configured.
    router.add(Method::Post, QStringLiteral("/api/jobs/{}/retry"), Access::Control, {}, bind(&JobsController::retry));
    // GET /api/jobs/{id}/logs?after=&limit=1..10000&level=ERROR,WARNING&q= — read.
    // 200 {job_id, lines:[{seq,ts,level,message,source}], next_after, has_more}; 400 bad or unknown
    // parameter (named); 404; 503 storage unreadable.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/logs"), Access::Read,
               {QStringLiteral("after"), QStringLiteral("limit"), QStringLiteral("level"), QStringLiteral("q")},
               bind(&JobsController::logs));
    // GET /api/jobs/{id}/logs.txt — read. 200 text/plain, "ts LEVEL message" per line, chunked; 400
    // any query parameter; 404; 503 the log cannot be read. A page that fails mid-body aborts the
    // connection without the last chunk: a visible truncation, never a shorter log.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/logs.txt"), Access::Read, {}, bind(&JobsController::logText));
    // GET /api/events — read. SSE: `event: job` with {type: created|changed, job} for every job
    // creation and change; `: keepalive` every 15 s. Not replayable: re-list /api/jobs on reconnect.
    router.add(Method::Get, QStringLiteral("/api/events"), Access::Read, {}, [this](const Request &, Reply &&reply) {
        if (m_s.events)
            m_s.events->subscribe(std::move(reply));
        else
            reply.error(Error::make(Code::Unavailable, QStringLiteral("job events are not available")));
    });
    // GET /api/jobs/{id}/artifacts — read. 200 {job_id, artifacts:[{name,size,sha256,mime,source_url,created_at}]};
    // 404; 503 storage unreadable.
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/artifacts"), Access::Read, {},
               bind(&JobsController::artifacts));
    // GET /api/jobs/{id}/artifacts/{name} — read. 200 the file, streamed (Content-Disposition:
    // attachment, Accept-Ranges: bytes, ETag "<sha256>" when recorded; HEAD: headers only), from this
    // node's disk or, on another node, from the shared database. One `Range: bytes=N-|N-M|-N`: 206
    // with Content-Range (If-Range with the ETag honoured, anything else answers 200 whole); 416 with
    // `Content-Range: bytes */size` past the end; 400 and close for a malformed, repeated or multiple
    // range, or a name that leaves the job's directory; 404; 409 the file is only on the disk of the
    // node named in the detail (over the database cap); 503 storage unreadable, or the copy into the
    // database not done yet (the producing node serves it meanwhile).
    router.add(Method::Get, QStringLiteral("/api/jobs/{}/artifacts/{*}"), Access::Read, {},
               bind(&JobsController::artifact));
    // The search count of a job's log (GET /api/jobs/{id}/logs/count) lives with the log search.
    (new LogSearchController(m_s, this))->registerRoutes(router);
}

void JobsController::list(const Request &req, Reply &&reply)
{
    const auto filter = model::JobFilter::fromQuery(req.query);
    if (!filter)
        return reply.error(filter.error());
    // A page cursor that names no job would quietly answer an empty page.
    if (!filter->beforeId.isEmpty()) {
        if (auto st = m_s.jobs->require(filter->beforeId); !st)
            return reply.error(st.error().code != Code::NotFound
                                   ? st.error()
                                   : Error::make(Code::InvalidArgument,
                                                 QStringLiteral("query parameter 'before' must be a job id (the "
                                                                "previous page's next_before); no job '%1'")
                                                     .arg(filter->beforeId.left(64))));
    }
    const auto jobs = m_s.jobs->page(filter.value());
    if (!jobs)
        return reply.error(jobs.error());
    QJsonArray arr;
    for (const auto &j : jobs.value())
        arr.append(j.toJson());
    const bool more = jobs->size() == filter->limit;
    reply.json(QJsonObject{{QStringLiteral("jobs"), arr},
                           {QStringLiteral("next_before"), more ? QJsonValue(jobs->last().id) : QJsonValue()}});
}

void JobsController::create(const Request &req, Reply &&reply)
{
    const auto body = req.jsonObject();
    if (!body)
        return reply.error(body.error());
    const auto spec = jobs::fromJson(body.value(), jobs::Origin::Api);
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
        return reply.error(job.error());
    QJsonObject o = job->toJson();
    // The URL is a credential for the job's log: only for whoever could create jobs anyway.
    if (m_s.callbackUrl && m_s.auth && !m_s.auth->control(req, job->id))
        o.insert(QStringLiteral("callback_url"), m_s.callbackUrl(job->id));
    reply.json(o);
}

void JobsController::cancel(const Request &req, Reply &&reply)
{
    const auto job = m_s.scheduler->cancel(req.args.value(0), QStringLiteral("API client ") + req.remote.toString());
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
    store::LogQuery q;
    q.jobId = jobId;
    const auto after = req.queryInt(QStringLiteral("after"), 0, std::numeric_limits<qint64>::max());
    if (!after)
        return reply.error(after.error());
    q.after = after.value().value_or(0);
    const auto limit = req.queryInt(QStringLiteral("limit"), 1, kMaxLogPage);
    if (!limit)
        return reply.error(limit.error());
    q.limit = static_cast<int>(limit.value().value_or(q.limit));
    const auto levels = LogsController::queryLevels(req);
    if (!levels)
        return reply.error(levels.error());
    q.levels = levels.value();
    q.text = req.queryValue(QStringLiteral("q"));
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(st.error());
    const auto lines = m_s.logs->page(q);
    if (!lines)
        return reply.error(lines.error());
    QJsonArray arr;
    for (const auto &l : lines.value())
        arr.append(l.toJson());
    reply.json(QJsonObject{{QStringLiteral("job_id"), jobId},
                           {QStringLiteral("lines"), arr},
                           {QStringLiteral("next_after"), lines->isEmpty() ? q.after : lines->last().seq},
                           {QStringLiteral("has_more"), lines->size() == q.limit}});
}

void JobsController::logText(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(st.error());
    // The first page is read before the status line: a log that cannot be read is a 503, not an
    // empty 200.
    auto first = m_s.logs->page(store::LogQuery{jobId, 0, kTextPage, {}, {}});
    if (!first)
        return reply.error(first.error());
    if (!reply.socket())
        return;
    new LogTextWriter(m_s.logs, jobId, std::move(first).value(), std::move(reply));
}

void JobsController::artifacts(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(st.error());
    const auto list = m_s.jobs->artifactList(jobId);
    if (!list)
        return reply.error(list.error());
    QJsonArray arr;
    for (const auto &a : list.value())
        arr.append(a.toJson());
    reply.json(QJsonObject{{QStringLiteral("job_id"), jobId}, {QStringLiteral("artifacts"), arr}});
}

void JobsController::artifact(const Request &req, Reply &&reply)
{
    const QString jobId = req.args.value(0);
    if (auto st = m_s.jobs->require(jobId); !st)
        return reply.error(st.error());
    const QString name = req.args.value(1);
    if (auto st = artifacts::ArtifactStore::checkName(name); !st)
        return reply.error(st.error());
    const auto meta = m_s.jobs->artifactRow(jobId, name);
    if (!meta)
        return reply.error(meta.error());
    const RangeRequest ask{req.header(QByteArrayLiteral("range")), req.header(QByteArrayLiteral("if-range")),
                           req.repeatedHeaders.contains(QByteArrayLiteral("range"))};
    StoredBody body;
    body.mime = *meta ? meta.value()->mime.toUtf8() : QByteArrayLiteral("application/octet-stream");
    body.extra = {{QByteArrayLiteral("Content-Disposition"),
                   "attachment; filename*=UTF-8''" + QUrl::toPercentEncoding(name.section(u'/', -1))}};
    auto etagFor = [&meta](qint64 size) {
        // The recorded sha256 names these bytes only while they are the size they were recorded at.
        const auto &a = meta.value();
        return a && a->size == size && !a->sha256.isEmpty() ? '"' + a->sha256.toLatin1() + '"' : QByteArray();
    };

    // Fast path: the file is on this node's disk.
    const auto path = m_s.artifacts->resolve(jobId, name);
    if (path) {
        auto file = std::make_unique<QFile>(path.value());
        if (!file->open(QIODevice::ReadOnly))
            return reply.error(
                Error::make(Code::Internal, QStringLiteral("cannot read artifact: ") + file->errorString()));
        body.size = file->size();
        body.etag = etagFor(body.size);
        body.device = std::move(file);
        return reply.stored(std::move(body), ask);
    }
    if (path.error().code != Code::NotFound || !*meta)
        return reply.error(path.error());
    const model::Artifact &a = *meta.value();
    if (a.storage == u"database") {
        auto chunks = std::make_unique<artifacts::ChunkDevice>(m_s.jobs, jobId, name, a.size);
        chunks->open(QIODevice::ReadOnly);
        body.size = a.size;
        body.etag = etagFor(a.size);
        body.device = std::move(chunks);
        return reply.stored(std::move(body), ask);
    }
    // Recorded here but gone from this disk: nobody has it.
    if (a.node.isEmpty() || a.node == m_s.artifacts->node())
        return reply.error(path.error());
    if (a.storage == u"pending")
        return reply.error(Error::make(Code::Unavailable,
                                       QStringLiteral("artifact '%1' of job %2 is not in the shared database yet: node "
                                                      "%3 is copying it there and serves it meanwhile; retry shortly")
                                           .arg(name, jobId, a.node)));
    return reply.error(Error::make(
        Code::Conflict, QStringLiteral("artifact '%1' of job %2 is kept only on the disk of node %3 (it is over the "
                                       "database size cap, or that node keeps artifacts on disk): ask node %3 for it")
                            .arg(name, jobId, a.node)));
}

} // namespace cd::http
