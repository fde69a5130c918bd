#include "runpodemulator.h"

#include <QHttpServer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUuid>

namespace cdtest {

struct RunPodEmulator::Job
{
    QString id;
    QJsonObject input;
    QString webhook;
    EmuScript script;
    qint64 createdAt = 0;
    qint64 cancelledAt = -1;
    qint64 finishedAt = -1;
    qint64 executionTimeoutMs = 0;
    int chunksDelivered = 0;
    int callbacksSent = 0;
    bool webhookFired = false;
    QString workerId = QStringLiteral("worker-") + QUuid::createUuid().toString(QUuid::Id128).left(8);
};

EmuScript EmuScript::fromJson(const QJsonObject &o)
{
    EmuScript s;
    s.queueMs = o.value(QStringLiteral("queue_ms")).toInt(s.queueMs);
    s.runMs = o.value(QStringLiteral("run_ms")).toInt(s.runMs);
    s.outcome = o.value(QStringLiteral("outcome")).toString(s.outcome);
    s.output = o.value(QStringLiteral("output"));
    s.error = o.value(QStringLiteral("error"));
    for (const QJsonValue &p : o.value(QStringLiteral("progress")).toArray())
        s.progress.append(
            {p.toObject().value(QStringLiteral("at_ms")).toInt(), p.toObject().value(QStringLiteral("output"))});
    for (const QJsonValue &c : o.value(QStringLiteral("chunks")).toArray())
        s.chunks << c.toString();
    for (const QJsonValue &c : o.value(QStringLiteral("final_chunks")).toArray())
        s.finalChunks << c.toString();
    for (const QJsonValue &c : o.value(QStringLiteral("callbacks")).toArray())
        s.callbacks << c.toString();
    return s;
}

RunPodEmulator::RunPodEmulator(QString apiKey, QString endpointId, QObject *parent)
    : QObject(parent)
    , m_key(std::move(apiKey))
    , m_endpoint(std::move(endpointId))
    , m_server(std::make_unique<QHttpServer>())
    , m_nam(std::make_unique<QNetworkAccessManager>())
{
    m_clock.start();
    using M = QHttpServerRequest::Method;
    auto api = [this](const char *op) {
        return [this, op](const QString &ep, const QHttpServerRequest &req) {
            return handle(QLatin1String(op), ep, QString(), req);
        };
    };
    auto apiId = [this](const char *op) {
        return [this, op](const QString &ep, const QString &id, const QHttpServerRequest &req) {
            return handle(QLatin1String(op), ep, id, req);
        };
    };
    m_server->route(QStringLiteral("/v2/<arg>/run"), M::Post, api("run"));
    m_server->route(QStringLiteral("/v2/<arg>/runsync"), M::Post, api("runsync"));
    m_server->route(QStringLiteral("/v2/<arg>/health"), M::Get, api("health"));
    m_server->route(QStringLiteral("/v2/<arg>/purge-queue"), M::Post, api("purge"));
    m_server->route(QStringLiteral("/v2/<arg>/status/<arg>"), M::Get, apiId("status"));
    m_server->route(QStringLiteral("/v2/<arg>/status-sync/<arg>"), M::Get, apiId("status"));
    m_server->route(QStringLiteral("/v2/<arg>/stream/<arg>"), M::Get, apiId("stream"));
    m_server->route(QStringLiteral("/v2/<arg>/cancel/<arg>"), M::Post, apiId("cancel"));
    m_server->route(QStringLiteral("/v2/<arg>/retry/<arg>"), M::Post, apiId("retry"));
    m_server->route(QStringLiteral("/files/<arg>"), M::Get, [this](const QString &name) {
        if (!m_files.contains(name))
            return QHttpServerResponse(QHttpServerResponse::StatusCode::NotFound);
        return QHttpServerResponse(QByteArrayLiteral("application/octet-stream"), m_files.value(name));
    });
    m_tick.setInterval(25);
    connect(&m_tick, &QTimer::timeout, this, &RunPodEmulator::tick);
    m_tick.start();
}

RunPodEmulator::~RunPodEmulator() = default;

quint16 RunPodEmulator::listen(quint16 port)
{
    m_port = m_server->listen(QHostAddress(QHostAddress::LocalHost), port);
    return m_port;
}

QUrl RunPodEmulator::v2Url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1/v2").arg(m_port));
}

QUrl RunPodEmulator::endpointUrl() const
{
    return QUrl(v2Url().toString() + u'/' + m_endpoint);
}

QString RunPodEmulator::filesBase() const
{
    return QStringLiteral("http://127.0.0.1:%1/files").arg(m_port);
}

void RunPodEmulator::failNext(int status, int count, const QString &pathPart)
{
    m_faults.append(Fault{status, count, pathPart});
}

QString RunPodEmulator::statusOf(const QString &id)
{
    auto job = m_jobs.value(id);
    return job ? statusDoc(*job).value(QStringLiteral("status")).toString() : QString();
}

QJsonObject RunPodEmulator::statusDoc(Job &job)
{
    const qint64 now = m_clock.elapsed();
    const EmuScript &s = job.script;
    const qint64 runStart = job.createdAt + s.queueMs;
    QJsonObject doc{{QStringLiteral("id"), job.id}};
    QString status;
    if (job.cancelledAt >= 0) {
        status = QStringLiteral("CANCELLED");
        job.finishedAt = job.finishedAt < 0 ? job.cancelledAt : job.finishedAt;
    } else if (now < runStart) {
        status = QStringLiteral("IN_QUEUE");
    } else if ((s.runMs < 0 || s.runMs > job.executionTimeoutMs) && now >= runStart + job.executionTimeoutMs) {
        // RunPod stops the worker at the policy's (or the endpoint's) execution timeout.
        status = QStringLiteral("FAILED");
        if (job.finishedAt < 0)
            job.finishedAt = runStart + job.executionTimeoutMs;
        doc.insert(QStringLiteral("error"), QStringLiteral("executionTimeout exceeded"));
    } else if (s.runMs >= 0 && now >= runStart + s.runMs) {
        status = s.outcome;
        if (job.finishedAt < 0)
            job.finishedAt = runStart + s.runMs;
        if (status == u"COMPLETED")
            doc.insert(QStringLiteral("output"), s.output);
        else if (status == u"FAILED")
            doc.insert(QStringLiteral("error"), s.error);
    } else {
        status = QStringLiteral("IN_PROGRESS");
        QJsonValue latest;
        for (const auto &[at, value] : s.progress)
            if (now - runStart >= at)
                latest = value;
        if (!latest.isUndefined())
            doc.insert(QStringLiteral("output"), latest);
    }
    doc.insert(QStringLiteral("status"), status);
    doc.insert(QStringLiteral("delayTime"), qMin<qint64>(now - job.createdAt, s.queueMs));
    if (now >= runStart)
        doc.insert(QStringLiteral("executionTime"), (job.finishedAt >= 0 ? job.finishedAt : now) - runStart);
    if (status != u"IN_QUEUE")
        doc.insert(QStringLiteral("workerId"), job.workerId);
    return doc;
}

QHttpServerResponse RunPodEmulator::handle(const QString &op, const QString &endpoint, const QString &id,
                                           const QHttpServerRequest &req)
{
    m_calls[op].append(m_clock.elapsed());
    const QByteArray auth = req.value("Authorization");
    if (auth != "Bearer " + m_key.toUtf8() && auth != m_key.toUtf8())
        return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("Unauthorized")}},
                                   QHttpServerResponse::StatusCode::Unauthorized);
    if (endpoint != m_endpoint)
        return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("endpoint not found")}},
                                   QHttpServerResponse::StatusCode::NotFound);
    for (Fault &f : m_faults) {
        if (f.remaining <= 0 || (!f.pathPart.isEmpty() && !req.url().path().contains(f.pathPart)))
            continue;
        --f.remaining;
        if (f.status == 429)
            return QHttpServerResponse(QHttpServerResponse::StatusCode::TooManyRequests); // no body, as RunPod may do
        return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("internal error")}},
                                   static_cast<QHttpServerResponse::StatusCode>(f.status));
    }

    if (op == u"run" || op == u"runsync") {
        const QJsonObject body = QJsonDocument::fromJson(req.body()).object();
        if (!body.value(QStringLiteral("input")).isObject())
            return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("input is required")}},
                                       QHttpServerResponse::StatusCode::BadRequest);
        // policy: executionTimeout 5 s to 7 days, ttl 10 s to 7 days (ms), as RunPod enforces them.
        const QJsonObject policy = body.value(QStringLiteral("policy")).toObject();
        constexpr qint64 kWeekMs = 7LL * 24 * 3600 * 1000;
        const auto outOfRange = [&](const char *name, qint64 min) {
            const QJsonValue v = policy.value(QLatin1String(name));
            return !v.isUndefined() && (!v.isDouble() || v.toDouble() < double(min) || v.toDouble() > double(kWeekMs));
        };
        if (outOfRange("executionTimeout", 5000) || outOfRange("ttl", 10000))
            return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("policy out of range")}},
                                       QHttpServerResponse::StatusCode::BadRequest);
        m_lastRun = body;
        auto job = std::make_shared<Job>();
        job->executionTimeoutMs = static_cast<qint64>(
            policy.value(QStringLiteral("executionTimeout")).toDouble(double(m_endpointExecutionTimeoutMs)));
        job->id = QUuid::createUuid().toString(QUuid::WithoutBraces) + QStringLiteral("-u1");
        job->input = body.value(QStringLiteral("input")).toObject();
        job->webhook = body.value(QStringLiteral("webhook")).toString();
        const QJsonValue own = job->input.value(QStringLiteral("params")).toObject().value(QStringLiteral("emulator"));
        job->script = own.isObject() ? EmuScript::fromJson(own.toObject()) : m_default;
        const QByteArray out = QJsonDocument(QJsonObject{{QStringLiteral("v"), job->script.output}})
                                   .toJson(QJsonDocument::Compact)
                                   .replace("{files}", filesBase().toUtf8());
        job->script.output = QJsonDocument::fromJson(out).object().value(QStringLiteral("v"));
        job->createdAt = m_clock.elapsed();
        m_jobs.insert(job->id, job);
        m_lastJobId = job->id;
        if (op == u"runsync")
            return QHttpServerResponse(statusDoc(*job));
        return QHttpServerResponse(
            QJsonObject{{QStringLiteral("id"), job->id}, {QStringLiteral("status"), QStringLiteral("IN_QUEUE")}});
    }
    if (op == u"health") {
        int inQueue = 0, inProgress = 0, completed = 0, failed = 0;
        for (const auto &j : std::as_const(m_jobs)) {
            const QString st = statusDoc(*j).value(QStringLiteral("status")).toString();
            inQueue += st == u"IN_QUEUE";
            inProgress += st == u"IN_PROGRESS";
            completed += st == u"COMPLETED";
            failed += st == u"FAILED" || st == u"TIMED_OUT";
        }
        return QHttpServerResponse(
            QJsonObject{{QStringLiteral("jobs"), QJsonObject{{QStringLiteral("completed"), completed},
                                                             {QStringLiteral("failed"), failed},
                                                             {QStringLiteral("inProgress"), inProgress},
                                                             {QStringLiteral("inQueue"), inQueue},
                                                             {QStringLiteral("retried"), m_retried}}},
                        {QStringLiteral("workers"), QJsonObject{{QStringLiteral("idle"), inProgress ? 0 : 1},
                                                                {QStringLiteral("initializing"), 0},
                                                                {QStringLiteral("ready"), 1},
                                                                {QStringLiteral("running"), inProgress},
                                                                {QStringLiteral("throttled"), 0},
                                                                {QStringLiteral("unhealthy"), 0}}}});
    }
    if (op == u"purge") {
        int removed = 0;
        for (auto it = m_jobs.begin(); it != m_jobs.end();) {
            if (statusDoc(**it).value(QStringLiteral("status")).toString() == u"IN_QUEUE") {
                it = m_jobs.erase(it);
                ++removed;
            } else {
                ++it;
            }
        }
        return QHttpServerResponse(
            QJsonObject{{QStringLiteral("removed"), removed}, {QStringLiteral("status"), QStringLiteral("completed")}});
    }

    auto job = m_jobs.value(id);
    if (!job)
        return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("request does not exist")}},
                                   QHttpServerResponse::StatusCode::NotFound);
    QJsonObject doc = statusDoc(*job);
    const bool terminal = job->finishedAt >= 0;
    if (terminal && m_clock.elapsed() - job->finishedAt > m_retentionMs)
        return QHttpServerResponse(QJsonObject{{QStringLiteral("error"), QStringLiteral("request does not exist")}},
                                   QHttpServerResponse::StatusCode::NotFound);
    if (op == u"status")
        return QHttpServerResponse(doc);
    if (op == u"stream") {
        // Each produced chunk is delivered once, like a generator handler's /stream. What the
        // handler yields as it returns exists only once the job is terminal: a client that stops
        // calling /stream when it sees COMPLETED never gets it.
        QJsonArray stream;
        const QStringList chunks = job->script.chunks + (terminal ? job->script.finalChunks : QStringList());
        const qint64 runStart = job->createdAt + job->script.queueMs;
        const qint64 into = m_clock.elapsed() - runStart;
        int produced = 0;
        if (into >= 0 && !chunks.isEmpty()) {
            const qint64 span = job->script.runMs > 0 ? job->script.runMs : 1000;
            produced = terminal ? static_cast<int>(chunks.size())
                                : qMin<int>(static_cast<int>(chunks.size()),
                                            static_cast<int>(into * chunks.size() / span) + 1);
        }
        for (; job->chunksDelivered < produced; ++job->chunksDelivered)
            stream.append(QJsonObject{{QStringLiteral("output"), chunks.at(job->chunksDelivered)}});
        return QHttpServerResponse(QJsonObject{{QStringLiteral("status"), doc.value(QStringLiteral("status"))},
                                               {QStringLiteral("stream"), stream}});
    }
    if (op == u"cancel") {
        if (!terminal)
            job->cancelledAt = m_clock.elapsed();
        return QHttpServerResponse(
            QJsonObject{{QStringLiteral("id"), job->id},
                        {QStringLiteral("status"), statusDoc(*job).value(QStringLiteral("status"))}});
    }
    if (op == u"retry") {
        const QString st = doc.value(QStringLiteral("status")).toString();
        if (st != u"FAILED" && st != u"TIMED_OUT")
            return QHttpServerResponse(
                QJsonObject{{QStringLiteral("error"), QStringLiteral("only failed or timed-out jobs can be retried")}},
                QHttpServerResponse::StatusCode::BadRequest);
        job->createdAt = m_clock.elapsed();
        job->finishedAt = -1;
        job->webhookFired = false;
        ++m_retried;
        return QHttpServerResponse(
            QJsonObject{{QStringLiteral("id"), job->id}, {QStringLiteral("status"), QStringLiteral("IN_QUEUE")}});
    }
    return QHttpServerResponse(QHttpServerResponse::StatusCode::NotFound);
}

void RunPodEmulator::tick()
{
    const qint64 now = m_clock.elapsed();
    for (const auto &job : std::as_const(m_jobs)) {
        const QJsonObject doc = statusDoc(*job);
        const QString status = doc.value(QStringLiteral("status")).toString();
        // The "worker" posts its log lines to the callback URL while it runs.
        const QString cb = job->input.value(QStringLiteral("callback_url")).toString();
        const qint64 runStart = job->createdAt + job->script.queueMs;
        if (!cb.isEmpty() && now >= runStart && job->callbacksSent < job->script.callbacks.size() &&
            status == u"IN_PROGRESS") {
            const qint64 span = job->script.runMs > 0 ? job->script.runMs : 1000;
            const int due = qMin<int>(static_cast<int>(job->script.callbacks.size()),
                                      static_cast<int>((now - runStart) * job->script.callbacks.size() / span) + 1);
            for (; job->callbacksSent < due; ++job->callbacksSent) {
                QNetworkRequest req{QUrl(cb)};
                req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
                const QJsonObject body{{QStringLiteral("job_id"), job->input.value(QStringLiteral("job_id"))},
                                       {QStringLiteral("message"), job->script.callbacks.at(job->callbacksSent)}};
                QNetworkReply *r = m_nam->post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
                connect(r, &QNetworkReply::finished, r, &QObject::deleteLater);
            }
        }
        if (job->finishedAt >= 0 && !job->webhookFired && !job->webhook.isEmpty()) {
            job->webhookFired = true;
            sendWebhook(job->id, 0);
        }
    }
}

void RunPodEmulator::sendWebhook(const QString &id, int attempt)
{
    auto job = m_jobs.value(id);
    if (!job)
        return;
    QJsonObject doc = statusDoc(*job);
    doc.insert(QStringLiteral("input"), job->input);
    doc.insert(QStringLiteral("webhook"), job->webhook);
    QNetworkRequest req{QUrl(job->webhook)};
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *r = m_nam->post(req, QJsonDocument(doc).toJson(QJsonDocument::Compact));
    connect(r, &QNetworkReply::finished, this, [this, r, id, attempt] {
        r->deleteLater();
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        m_webhookAnswers.append(status);
        // RunPod retries a webhook that did not get a 200 twice, 10 s apart.
        if (status != 200 && attempt < 2)
            QTimer::singleShot(m_webhookRetryMs, this, [this, id, attempt] { sendWebhook(id, attempt + 1); });
    });
}

} // namespace cdtest
