#include "apiclient.h"

#include "common/backoff.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>

#include <QCoro/QCoroNetworkReply>
#include <QCoro/QCoroTimer>

#include <chrono>
#include <memory>

Q_LOGGING_CATEGORY(lcClient, "crawldeck.client", QtWarningMsg)

namespace cd::client {

namespace {

using Kind = ClientError::Kind;

// What the certificate handlers learnt about a reply, kept on the reply for tlsFailure().
constexpr char kSeenSha256[] = "crawldeck_cert_sha256";
constexpr char kCertErrors[] = "crawldeck_cert_errors";
constexpr char kPinMismatch[] = "crawldeck_pin_mismatch";

QByteArray sha256Of(const QSslCertificate &cert)
{
    return cert.isNull() ? QByteArray() : cert.digest(QCryptographicHash::Sha256).toHex();
}

QByteArray peerSha256(const QNetworkReply &reply, const QList<QSslError> &errors = {})
{
    const QSslConfiguration tls = reply.sslConfiguration();
    if (!tls.peerCertificate().isNull())
        return sha256Of(tls.peerCertificate());
    if (!tls.peerCertificateChain().isEmpty())
        return sha256Of(tls.peerCertificateChain().first());
    for (const QSslError &e : errors)
        if (!e.certificate().isNull())
            return sha256Of(e.certificate());
    return {};
}

ClientError badResponse(const QString &what)
{
    return ClientError{Kind::BadResponse, 0, {}, what};
}

model::LogLine logLineFrom(const QString &jobId, const QJsonObject &o)
{
    model::LogLine l;
    l.jobId = jobId;
    l.seq = o.value(QStringLiteral("seq")).toInteger();
    l.ts = QDateTime::fromString(o.value(QStringLiteral("ts")).toString(), Qt::ISODateWithMs).toUTC();
    l.level = model::logLevelFromString(o.value(QStringLiteral("level")).toString()).value_or(model::LogLevel::Info);
    l.message = o.value(QStringLiteral("message")).toString();
    l.source =
        model::logSourceFromString(o.value(QStringLiteral("source")).toString()).value_or(model::LogSource::Stdout);
    return l;
}

model::Artifact artifactFrom(const QString &jobId, const QJsonObject &o)
{
    model::Artifact a;
    a.jobId = jobId;
    a.name = o.value(QStringLiteral("name")).toString();
    a.size = o.value(QStringLiteral("size")).toInteger();
    a.sha256 = o.value(QStringLiteral("sha256")).toString();
    a.mime = o.value(QStringLiteral("mime")).toString();
    a.sourceUrl = o.value(QStringLiteral("source_url")).toString();
    a.createdAt = QDateTime::fromString(o.value(QStringLiteral("created_at")).toString(), Qt::ISODateWithMs).toUTC();
    return a;
}

ClientResult<model::Job> jobFrom(const QJsonObject &o)
{
    const auto job = model::Job::fromJson(o);
    if (!job)
        return badResponse(job.error().detail);
    return job.value();
}

} // namespace

std::optional<QByteArray> parsePin(const QString &text)
{
    QString hex = text.trimmed().toLower();
    hex.remove(QRegularExpression(QStringLiteral("[:\\s]")));
    if (hex.startsWith(QLatin1String("sha256/")))
        hex.remove(0, 7);
    static const QRegularExpression sha256(QStringLiteral("^[0-9a-f]{64}$"));
    if (hex.isEmpty())
        return QByteArray();
    if (!sha256.match(hex).hasMatch())
        return std::nullopt;
    return hex.toLatin1();
}

QString displayFingerprint(const QByteArray &hex)
{
    QStringList pairs;
    for (qsizetype i = 0; i + 1 < hex.size(); i += 2)
        pairs << QString::fromLatin1(hex.mid(i, 2)).toUpper();
    return pairs.join(u':');
}

ApiClient::ApiClient(ClientConfig config, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_nam(new QNetworkAccessManager)
{
    // The one place certificates are judged, for calls, streams and downloads alike: they all go
    // through this manager.
    connect(m_nam, &QNetworkAccessManager::sslErrors, this, &ApiClient::checkCertificate);
    connect(m_nam, &QNetworkAccessManager::encrypted, this, &ApiClient::checkPin);
    // Our own retries decide; Qt's silent resend of a request on a stale keep-alive connection is
    // fine for GETs and harmless for ours (answers are the same), so it stays on.
    m_nam->setAutoDeleteReplies(false);
}

ApiClient::~ApiClient()
{
    // Calls waiting on a reply must end before the network manager deletes it under them (a deleted
    // reply never says it finished): aborted, they see closing() and end as cancelled, and the
    // manager goes only once they have let go of their replies.
    m_closing = true;
    const auto replies = m_nam->findChildren<QNetworkReply *>();
    for (QNetworkReply *r : replies)
        r->abort();
    m_nam->deleteLater();
}

void ApiClient::checkCertificate(QNetworkReply *reply, const QList<QSslError> &errors)
{
    const QByteArray seen = peerSha256(*reply, errors);
    reply->setProperty(kSeenSha256, seen);
    // A pinned certificate is trusted for being that certificate: its issuer and name do not matter
    // (self-signed servers), so its verification errors are waived, and only for it.
    if (!m_config.pinnedSha256.isEmpty() && seen == m_config.pinnedSha256) {
        reply->ignoreSslErrors(errors);
        return;
    }
    QStringList why;
    for (const QSslError &e : errors)
        why << e.errorString();
    reply->setProperty(kCertErrors, why.join(QStringLiteral("; ")));
    if (!m_config.pinnedSha256.isEmpty())
        reply->setProperty(kPinMismatch, true);
}

void ApiClient::checkPin(QNetworkReply *reply)
{
    // A certificate the system's CAs vouch for is still refused when another one is pinned.
    if (m_config.pinnedSha256.isEmpty())
        return;
    const QByteArray seen = peerSha256(*reply);
    if (seen == m_config.pinnedSha256)
        return;
    reply->setProperty(kSeenSha256, seen);
    reply->setProperty(kPinMismatch, true);
    reply->abort();
}

std::optional<ClientError> ApiClient::tlsFailure(const QNetworkReply &reply) const
{
    const bool mismatch = reply.property(kPinMismatch).toBool();
    if (!mismatch && reply.error() != QNetworkReply::SslHandshakeFailedError)
        return std::nullopt;
    const QByteArray seen = reply.property(kSeenSha256).toByteArray();
    const QString host = m_config.baseUrl.host();
    ClientError e{Kind::Tls, 0, {}, {}, seen};
    if (mismatch)
        e.detail = QStringLiteral("the certificate of %1 has the SHA-256 fingerprint %2, not the pinned %3")
                       .arg(host, displayFingerprint(seen), displayFingerprint(m_config.pinnedSha256));
    else if (!seen.isEmpty())
        e.detail = QStringLiteral("the certificate of %1 is not trusted (%2); its SHA-256 fingerprint is %3 — pin "
                                  "it if that is the server's")
                       .arg(host, reply.property(kCertErrors).toString(), displayFingerprint(seen));
    else
        e.detail = QStringLiteral("no TLS session with %1: %2").arg(host, reply.errorString());
    return e;
}

QUrl ApiClient::url(const QString &path, const QUrlQuery &query) const
{
    QUrl u = m_config.baseUrl;
    QString base = u.path(QUrl::FullyEncoded);
    if (base.endsWith(u'/'))
        base.chop(1);
    u.setPath(base + path, QUrl::TolerantMode);
    u.setQuery(query);
    return u;
}

QNetworkRequest ApiClient::request(const QUrl &url) const
{
    QNetworkRequest req(url);
    if (!m_config.token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_config.token);
    req.setRawHeader("Accept", "application/json");
    req.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("crawldeck-client"));
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setTransferTimeout(m_config.timeoutMs);
    return req;
}

std::optional<ClientError> ApiClient::incompatibility(const QNetworkReply &reply) const
{
    const QByteArray v = reply.rawHeader("Crawldeck-Api-Version");
    const int status = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    // The listener's own refusals (408, 431...) carry no version; only a success must.
    if (v.isEmpty() && (status < 200 || status >= 300))
        return std::nullopt;
    const QString where = m_config.baseUrl.toDisplayString();
    if (v.isEmpty())
        return ClientError{Kind::Incompatible,
                           status,
                           {},
                           QStringLiteral("%1 does not report an API version (no Crawldeck-Api-Version header): it "
                                          "is not a Crawldeck server, or one older than this client (API %2)")
                               .arg(where)
                               .arg(kApiVersion)};
    if (v.trimmed().toInt() != kApiVersion)
        return ClientError{Kind::Incompatible,
                           status,
                           {},
                           QStringLiteral("%1 speaks API version %2, this client speaks %3; use a crawldeck of the "
                                          "same version as the server")
                               .arg(where, QString::fromLatin1(v.trimmed().left(16)))
                               .arg(kApiVersion)};
    return std::nullopt;
}

ClientError ApiClient::httpError(int status, const QByteArray &body)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    QString detail = o.value(QStringLiteral("detail")).toString();
    if (detail.isEmpty() && !o.contains(QStringLiteral("error")))
        detail = QString::fromUtf8(body.left(300)).trimmed();
    return ClientError{Kind::Http, status, o.value(QStringLiteral("error")).toString(), detail};
}

int ApiClient::backoffMs(int attempt, int retryAfterS) const
{
    return backoffDelayMs(attempt, m_config.backoffBaseMs, m_config.backoffCapMs, retryAfterS);
}

QCoro::Task<ClientResult<QJsonObject>> ApiClient::call(QByteArray verb, QString path, QUrlQuery query,
                                                       std::optional<QJsonObject> body, bool idempotent)
{
    const QPointer<ApiClient> self(this);
    const QUrl target = url(path, query);
    const QByteArray payload = body ? QJsonDocument(*body).toJson(QJsonDocument::Compact) : QByteArray();
    ClientError last;
    for (int attempt = 0; attempt < m_config.maxAttempts; ++attempt) {
        int delayMs = -1;
        {
            QNetworkRequest req = request(target);
            if (body)
                req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
            std::unique_ptr<QNetworkReply> reply(verb == "GET" ? m_nam->get(req)
                                                               : m_nam->sendCustomRequest(req, verb, payload));
            const QPointer<QNetworkReply> alive(reply.get());
            const bool done =
                co_await qCoro(reply.get()).waitForFinished(std::chrono::milliseconds(m_config.timeoutMs));
            if (!alive || !self || closing()) {
                if (!alive)
                    (void)reply.release(); // went with the network manager
                co_return ClientError{Kind::Cancelled, 0, {}, QStringLiteral("the client was destroyed")};
            }
            // Trying again would show the same certificate.
            if (auto tls = done ? tlsFailure(*reply) : std::nullopt)
                co_return *tls;
            if (!done || reply->error() == QNetworkReply::OperationCanceledError) {
                reply->abort();
                last = ClientError{Kind::Timeout,
                                   0,
                                   {},
                                   QStringLiteral("no answer from %1 within %2 ms")
                                       .arg(target.toDisplayString(QUrl::RemoveQuery))
                                       .arg(m_config.timeoutMs)};
                // The request may have been acted on: only reads are repeated.
                if (!idempotent)
                    co_return last;
                delayMs = backoffMs(attempt);
            } else if (const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                       status == 0) {
                const auto err = reply->error();
                const bool neverSent = err == QNetworkReply::ConnectionRefusedError ||
                                       err == QNetworkReply::HostNotFoundError ||
                                       err == QNetworkReply::TemporaryNetworkFailureError;
                last = ClientError{
                    Kind::Network,
                    0,
                    {},
                    QStringLiteral("%1 (%2)").arg(reply->errorString(), m_config.baseUrl.toDisplayString())};
                if (!idempotent && !neverSent)
                    co_return last;
                delayMs = backoffMs(attempt);
            } else if (auto incompatible = incompatibility(*reply)) {
                co_return *incompatible;
            } else {
                const QByteArray data = reply->readAll();
                if (status == 429 || (status == 503 && idempotent)) {
                    // A 429 is answered before anything is done, so even a create may be repeated; a
                    // 503 may come from a write whose outcome the server could not tell (a database
                    // lost at commit), so a create is not sent again after one.
                    last = httpError(status, data);
                    delayMs = backoffMs(attempt, reply->rawHeader("Retry-After").trimmed().toInt());
                } else if (status < 200 || status >= 300) {
                    co_return httpError(status, data);
                } else {
                    QJsonParseError perr{};
                    const QJsonDocument doc = QJsonDocument::fromJson(data, &perr);
                    if (perr.error != QJsonParseError::NoError || !doc.isObject())
                        co_return badResponse(QStringLiteral("%1 %2 answered %3 without a JSON object")
                                                  .arg(QString::fromLatin1(verb), path)
                                                  .arg(status));
                    co_return doc.object();
                }
            }
        } // the reply is gone before the wait
        if (attempt + 1 >= m_config.maxAttempts)
            break;
        qCDebug(lcClient) << verb << path << "failed:" << last.describe() << "- again in" << delayMs << "ms";
        co_await QCoro::sleepFor(std::chrono::milliseconds(delayMs));
        if (!self || closing())
            co_return ClientError{Kind::Cancelled, 0, {}, QStringLiteral("the client was destroyed")};
    }
    co_return last;
}

QCoro::Task<ClientResult<Health>> ApiClient::health()
{
    const auto r = co_await call("GET", QStringLiteral("/health"), {}, std::nullopt, true);
    if (!r)
        co_return r.error();
    co_return Health{r->value(QStringLiteral("status")).toString(), r->value(QStringLiteral("version")).toString(),
                     r->value(QStringLiteral("api_version")).toInt(), r.value()};
}

QCoro::Task<ClientResult<JobPage>> ApiClient::jobs(JobQuery query)
{
    QUrlQuery q;
    if (!query.statuses.isEmpty())
        q.addQueryItem(QStringLiteral("status"), query.statuses.join(u','));
    if (!query.backend.isEmpty())
        q.addQueryItem(QStringLiteral("backend"), query.backend);
    if (!query.text.isEmpty())
        q.addQueryItem(QStringLiteral("q"), QString::fromLatin1(QUrl::toPercentEncoding(query.text)));
    q.addQueryItem(QStringLiteral("limit"), QString::number(query.limit));
    if (!query.before.isEmpty())
        q.addQueryItem(QStringLiteral("before"), query.before);
    const auto r = co_await call("GET", QStringLiteral("/api/jobs"), q, std::nullopt, true);
    if (!r)
        co_return r.error();
    JobPage page;
    for (const QJsonValue &v : r->value(QStringLiteral("jobs")).toArray()) {
        auto job = jobFrom(v.toObject());
        if (!job)
            co_return job.error();
        page.jobs.append(std::move(job).value());
    }
    page.nextBefore = r->value(QStringLiteral("next_before")).toString();
    co_return page;
}

QCoro::Task<ClientResult<model::Job>> ApiClient::job(QString id)
{
    const auto r = co_await call("GET", QStringLiteral("/api/jobs/") + QString::fromLatin1(QUrl::toPercentEncoding(id)),
                                 {}, std::nullopt, true);
    if (!r)
        co_return r.error();
    co_return jobFrom(r.value());
}

QJsonObject ApiClient::specBody(const model::JobSpec &spec)
{
    return QJsonObject{{QStringLiteral("kind"), spec.kind},
                       {QStringLiteral("backend"), model::toString(spec.backend)},
                       {QStringLiteral("priority"), spec.priority},
                       {QStringLiteral("params"), spec.params},
                       {QStringLiteral("max_attempts"), spec.maxAttempts},
                       {QStringLiteral("timeout_s"), spec.timeoutS}};
}

QCoro::Task<ClientResult<CreatedJob>> ApiClient::createJob(model::JobSpec spec)
{
    const auto r = co_await call("POST", QStringLiteral("/api/jobs"), {}, specBody(spec), false);
    if (!r)
        co_return r.error();
    auto job = jobFrom(r.value());
    if (!job)
        co_return job.error();
    co_return CreatedJob{std::move(job).value(), r->value(QStringLiteral("callback_url")).toString()};
}

QCoro::Task<ClientResult<model::Job>> ApiClient::jobAction(QString id, QString action)
{
    const auto r = co_await call(
        "POST", QStringLiteral("/api/jobs/%1/%2").arg(QString::fromLatin1(QUrl::toPercentEncoding(id)), action), {},
        QJsonObject{}, false);
    if (!r)
        co_return r.error();
    co_return jobFrom(r.value());
}

QCoro::Task<ClientResult<model::Job>> ApiClient::cancelJob(QString id)
{
    return jobAction(std::move(id), QStringLiteral("cancel"));
}

QCoro::Task<ClientResult<model::Job>> ApiClient::retryJob(QString id)
{
    return jobAction(std::move(id), QStringLiteral("retry"));
}

QCoro::Task<ClientResult<LogPage>> ApiClient::logs(QString jobId, LogQuery query)
{
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("after"), QString::number(query.after));
    q.addQueryItem(QStringLiteral("limit"), QString::number(query.limit));
    if (!query.levels.isEmpty())
        q.addQueryItem(QStringLiteral("level"), query.levels.join(u','));
    if (!query.text.isEmpty())
        q.addQueryItem(QStringLiteral("q"), QString::fromLatin1(QUrl::toPercentEncoding(query.text)));
    const auto r = co_await call(
        "GET", QStringLiteral("/api/jobs/%1/logs").arg(QString::fromLatin1(QUrl::toPercentEncoding(jobId))), q,
        std::nullopt, true);
    if (!r)
        co_return r.error();
    LogPage page;
    for (const QJsonValue &v : r->value(QStringLiteral("lines")).toArray())
        page.lines.append(logLineFrom(jobId, v.toObject()));
    page.nextAfter = r->value(QStringLiteral("next_after")).toInteger();
    page.hasMore = r->value(QStringLiteral("has_more")).toBool();
    co_return page;
}

QCoro::Task<ClientResult<QList<model::Artifact>>> ApiClient::artifacts(QString jobId)
{
    const auto r = co_await call(
        "GET", QStringLiteral("/api/jobs/%1/artifacts").arg(QString::fromLatin1(QUrl::toPercentEncoding(jobId))), {},
        std::nullopt, true);
    if (!r)
        co_return r.error();
    QList<model::Artifact> out;
    for (const QJsonValue &v : r->value(QStringLiteral("artifacts")).toArray())
        out.append(artifactFrom(jobId, v.toObject()));
    co_return out;
}

QCoro::Task<ClientResult<QJsonObject>> ApiClient::getObject(QString path, QUrlQuery query)
{
    return call("GET", std::move(path), std::move(query), std::nullopt, true);
}

QCoro::Task<ClientResult<QList<Node>>> ApiClient::nodes()
{
    const auto r = co_await nodeList();
    if (!r)
        co_return r.error();
    co_return r->nodes;
}

QCoro::Task<ClientResult<NodeList>> ApiClient::nodeList()
{
    const auto r = co_await call("GET", QStringLiteral("/api/nodes"), {}, std::nullopt, true);
    if (!r)
        co_return r.error();
    const auto time = [](const QJsonValue &v) { return QDateTime::fromString(v.toString(), Qt::ISODateWithMs); };
    NodeList out;
    out.now = time(r->value(QStringLiteral("now")));
    for (const QJsonValue &v : r->value(QStringLiteral("nodes")).toArray()) {
        const QJsonObject o = v.toObject();
        Node n;
        n.id = o.value(QStringLiteral("id")).toString();
        n.address = o.value(QStringLiteral("address")).toString();
        n.version = o.value(QStringLiteral("version")).toString();
        n.heartbeatAt = time(o.value(QStringLiteral("heartbeat_at")));
        n.alive = o.value(QStringLiteral("alive")).toBool();
        n.running = o.value(QStringLiteral("running")).toInt();
        n.startedAt = time(o.value(QStringLiteral("started_at")));
        const QJsonObject jobs = o.value(QStringLiteral("jobs")).toObject();
        for (auto it = jobs.constBegin(); it != jobs.constEnd(); ++it)
            n.jobs.insert(it.key(), it.value().toInt());
        n.leader = o.value(QStringLiteral("leader")).toBool();
        out.nodes.append(n);
    }
    co_return out;
}

} // namespace cd::client
