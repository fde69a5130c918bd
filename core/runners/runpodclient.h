#pragma once

#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <QCoro/QCoroTask>

#include <optional>

class QNetworkAccessManager;

namespace cd::runners {

struct RunPodError
{
    enum class Kind {
        Auth,        // 401/403: the API key
        NotFound,    // 404: unknown endpoint or job, or a job past its retention
        RateLimited, // 429 after every retry
        Server,      // 5xx after every retry
        Network,     // no HTTP answer (refused, reset, timeout) after every retry
        BadResponse, // 200 without a JSON object
        Client,      // other 4xx
    };
    Kind kind = Kind::Network;
    int httpStatus = 0;
    QString message;

    QString describe() const;
};

struct RunPodReply
{
    int httpStatus = 0;
    QJsonObject body;
    std::optional<RunPodError> error;
    bool ok() const { return !error; }
};

struct RunPodClientConfig
{
    QUrl base; // https://api.runpod.ai/v2/<endpoint_id> (RUNPOD_ENDPOINT_URL)
    QString apiKey;
    int timeoutMs = 20000; // per HTTP call
    int maxAttempts = 6;   // 429 and 5xx
    int maxNetworkRetries = 3;
    int backoffBaseMs = 500;
    int backoffCapMs = 20000;
};

// RunPod's serverless HTTP API (https://docs.runpod.io/serverless/endpoints/job-operations; request
// shapes as in RunPod's JavaScript SDK, runpod-sdk 1.1.2 src/index.ts). Every call has a timeout;
// 429 and 5xx are retried with exponential backoff and full jitter, keyed off the status code only
// (a 429 may have no body); Retry-After is honoured when present. Network errors are retried a
// bounded number of times, except for /run once the request may have reached RunPod (a retry could
// start the job twice).
class RunPodClient : public QObject
{
    Q_OBJECT
public:
    RunPodClient(RunPodClientConfig config, QNetworkAccessManager *nam, QObject *parent = nullptr);

    const RunPodClientConfig &config() const { return m_config; }

    QCoro::Task<RunPodReply> run(QJsonObject payload);
    QCoro::Task<RunPodReply> status(QString remoteId);
    QCoro::Task<RunPodReply> stream(QString remoteId);
    QCoro::Task<RunPodReply> cancel(QString remoteId);
    QCoro::Task<RunPodReply> retry(QString remoteId);
    QCoro::Task<RunPodReply> purgeQueue();
    QCoro::Task<RunPodReply> health();

private:
    QCoro::Task<RunPodReply> call(QByteArray verb, QString path, std::optional<QJsonObject> body, bool idempotent);
    int backoffMs(int attempt, int retryAfterS) const;

    RunPodClientConfig m_config;
    QNetworkAccessManager *m_nam;
};

} // namespace cd::runners
