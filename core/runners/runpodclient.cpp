#include "runpodclient.h"

#include "common/backoff.h"

#include <QBuffer>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>

#include <QCoro/QCoroNetworkReply>
#include <QCoro/QCoroTimer>

#include <chrono>
#include <memory>

namespace cd::runners {

using Kind = RunPodError::Kind;

QString RunPodError::describe() const
{
    switch (kind) {
    case Kind::Auth:
        return QStringLiteral("RunPod refused the API key (HTTP %1): check RUNPOD_API_KEY").arg(httpStatus);
    case Kind::NotFound: return QStringLiteral("RunPod answered 404: %1").arg(message);
    case Kind::RateLimited: return QStringLiteral("RunPod kept rate-limiting (HTTP 429): %1").arg(message);
    case Kind::Server: return QStringLiteral("RunPod server error (HTTP %1): %2").arg(httpStatus).arg(message);
    case Kind::Network: return QStringLiteral("cannot reach RunPod: %1").arg(message);
    case Kind::BadResponse: return QStringLiteral("unexpected answer from RunPod: %1").arg(message);
    case Kind::Client: return QStringLiteral("RunPod refused the request (HTTP %1): %2").arg(httpStatus).arg(message);
    }
    return message;
}

RunPodClient::RunPodClient(RunPodClientConfig config, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent), m_config(std::move(config)), m_nam(nam)
{}

QCoro::Task<RunPodReply> RunPodClient::run(QJsonObject payload)
{
    return call("POST", QStringLiteral("/run"), std::move(payload), false);
}
QCoro::Task<RunPodReply> RunPodClient::status(QString remoteId)
{
    return call("GET", QStringLiteral("/status/") + remoteId, std::nullopt, true);
}
QCoro::Task<RunPodReply> RunPodClient::stream(QString remoteId)
{
    return call("GET", QStringLiteral("/stream/") + remoteId, std::nullopt, true);
}
QCoro::Task<RunPodReply> RunPodClient::cancel(QString remoteId)
{
    return call("POST", QStringLiteral("/cancel/") + remoteId, QJsonObject{}, true);
}
QCoro::Task<RunPodReply> RunPodClient::retry(QString remoteId)
{
    return call("POST", QStringLiteral("/retry/") + remoteId, QJsonObject{}, false);
}
QCoro::Task<RunPodReply> RunPodClient::purgeQueue()
{
    return call("POST", QStringLiteral("/purge-queue"), QJsonObject{}, true);
}
QCoro::Task<RunPodReply> RunPodClient::health()
{
    return call("GET", QStringLiteral("/health"), std::nullopt, true);
}

int RunPodClient::backoffMs(int attempt, int retryAfterS) const
{
    return backoffDelayMs(attempt, m_config.backoffBaseMs, m_config.backoffCapMs, retryAfterS);
}

QCoro::Task<RunPodReply> RunPodClient::call(QByteArray verb, QString path, std::optional<QJsonObject> body,
                                            bool idempotent)
{
    QPointer<RunPodClient> self(this);
    QUrl url = m_config.base;
    url.setPath(url.path() + path);
    const QByteArray payload = body ? QJsonDocument(*body).toJson(QJsonDocument::Compact) : QByteArray();
    int networkFailures = 0;
    RunPodReply last;
    for (int attempt = 0; attempt < m_config.maxAttempts; ++attempt) {
        int delayMs = -1; // >= 0: try again after this long
        {
            QNetworkRequest req(url);
            req.setRawHeader("Authorization", "Bearer " + m_config.apiKey.toUtf8());
            req.setRawHeader("Accept", "application/json");
            req.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Crawldeck"));
            if (body)
                req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
            req.setTransferTimeout(m_config.timeoutMs);
            std::unique_ptr<QNetworkReply> reply(verb == "GET" ? m_nam->get(req)
                                                               : m_nam->sendCustomRequest(req, verb, payload));
            const QPointer<QNetworkReply> alive(reply.get());
            co_await qCoro(reply.get()).waitForFinished(std::chrono::milliseconds(m_config.timeoutMs + 1000));
            if (!alive || !self) {
                // The network manager went away with its replies: nothing left to own.
                if (!alive)
                    (void)reply.release();
                co_return RunPodReply{0, {}, RunPodError{Kind::Network, 0, QStringLiteral("shutting down")}};
            }
            if (!reply->isFinished())
                reply->abort();

            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray data = reply->readAll();
            last.httpStatus = status;
            if (status == 0) {
                // No HTTP answer at all. Safe to repeat unless the request may have been delivered.
                const auto err = reply->error();
                const bool neverSent = err == QNetworkReply::ConnectionRefusedError ||
                                       err == QNetworkReply::HostNotFoundError ||
                                       err == QNetworkReply::TemporaryNetworkFailureError;
                last.error = RunPodError{Kind::Network, 0, reply->errorString()};
                if ((idempotent || neverSent) && ++networkFailures <= m_config.maxNetworkRetries)
                    delayMs = backoffMs(attempt, 0);
                else
                    co_return last;
            } else if (status == 429 || status >= 500) {
                last.error = RunPodError{status == 429 ? Kind::RateLimited : Kind::Server, status,
                                         QString::fromUtf8(data.left(300))};
                if (attempt + 1 >= m_config.maxAttempts)
                    co_return last;
                delayMs = backoffMs(attempt, reply->rawHeader("Retry-After").toInt());
            } else if (status == 401 || status == 403) {
                last.error = RunPodError{Kind::Auth, status, QString::fromUtf8(data.left(300))};
                co_return last;
            } else if (status == 404) {
                last.error = RunPodError{Kind::NotFound, status, QString::fromUtf8(data.left(300))};
                co_return last;
            } else if (status < 200 || status >= 300) {
                last.error = RunPodError{Kind::Client, status, QString::fromUtf8(data.left(300))};
                co_return last;
            } else {
                QJsonParseError perr{};
                const QJsonDocument doc = QJsonDocument::fromJson(data, &perr);
                if (perr.error != QJsonParseError::NoError || !doc.isObject()) {
                    last.error = RunPodError{
                        Kind::BadResponse, status,
                        QStringLiteral("expected a JSON object, got: %1").arg(QString::fromUtf8(data.left(200)))};
                    co_return last;
                }
                co_return RunPodReply{status, doc.object(), std::nullopt};
            }
        } // the reply is gone before we sleep
        co_await QCoro::sleepFor(std::chrono::milliseconds(delayMs));
        if (!self)
            co_return last;
    }
    co_return last;
}

} // namespace cd::runners
