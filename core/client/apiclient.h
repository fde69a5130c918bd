#pragma once

#include "clienterror.h"
#include "model/artifact.h"
#include "model/job.h"
#include "model/logline.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QLoggingCategory>
#include <QObject>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

#include <QCoro/QCoroTask>

#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;
class QSslError;

Q_DECLARE_LOGGING_CATEGORY(lcClient)

namespace cd::client {

// The API version this client speaks; a server that reports another one is refused.
inline constexpr int kApiVersion = 1;

struct ClientConfig
{
    QUrl baseUrl = QUrl(QStringLiteral("http://127.0.0.1:8000"));
    QByteArray token;        // the API token, sent as `Authorization: Bearer`
    int timeoutMs = 15000;   // per HTTP exchange; streams and downloads: per silence instead
    int maxAttempts = 5;     // for 429, 503 and network errors
    int backoffBaseMs = 200; // first retry after about this long, doubling
    int backoffCapMs = 5000; // longest wait between tries (Retry-After included)
    // https: the SHA-256 fingerprint of the server's leaf certificate (lowercase hex, see parsePin).
    // Empty: the certificate must verify against the system's CAs. Set: it must be this one,
    // whoever signed it (a self-signed server's certificate, checked by its fingerprint).
    QByteArray pinnedSha256;
};

// "AB:CD:…" or "abcd…" (64 hex digits, colons and spaces allowed) as lowercase hex; nullopt when it
// is not a SHA-256 fingerprint. Empty text is an empty pin.
std::optional<QByteArray> parsePin(const QString &text);
// Lowercase hex as people compare fingerprints: "AB:CD:…".
QString displayFingerprint(const QByteArray &hex);

struct JobQuery
{
    QStringList statuses;
    QString backend;
    QString text; // matches id prefixes, kinds, errors, params
    int limit = 100;
    QString before; // the previous page's nextBefore
};

struct JobPage
{
    QList<model::Job> jobs;
    QString nextBefore; // empty on the last page
};

struct LogQuery
{
    qint64 after = 0;
    int limit = 1000;
    QStringList levels;
    QString text;
};

struct LogPage
{
    model::LogLines lines;
    qint64 nextAfter = 0;
    bool hasMore = false;
};

struct Health
{
    QString status;
    QString version;
    int apiVersion = 0;
    QJsonObject raw;
};

struct Node
{
    QString id;
    QString address;
    QString version;
    QDateTime heartbeatAt;
    bool alive = false;
    int running = 0;
    QDateTime startedAt;
    QHash<QString, int> jobs; // backend → its jobs starting, running or cancelling on the node
    bool leader = false;
};

// GET /api/nodes: the nodes, and the server's database clock they were read at (a heartbeat's age
// is measured on it, not on this machine's clock).
struct NodeList
{
    QList<Node> nodes;
    QDateTime now;
};

struct CreatedJob
{
    model::Job job;
    QString callbackUrl;
};

// A typed client for a Crawldeck server's HTTP API (docs/api.md). Every call is a coroutine that
// never blocks, has a timeout, and retries 429, 503 and network errors with backoff (honouring
// Retry-After) — requests that change something only when they cannot have been acted on. Calls
// still waiting when the client is destroyed end with Kind::Cancelled.
class ApiClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiClient)

public:
    explicit ApiClient(ClientConfig config, QObject *parent = nullptr);
    ~ApiClient() override;

    const ClientConfig &config() const { return m_config; }
    // A new token for the calls made from now on (the old one was refused).
    void setToken(const QByteArray &token) { m_config.token = token; }
    // Being destroyed: calls still running end as cancelled.
    bool closing() const { return m_closing; }

    QCoro::Task<ClientResult<Health>> health();
    QCoro::Task<ClientResult<JobPage>> jobs(JobQuery query);
    QCoro::Task<ClientResult<model::Job>> job(QString id);
    QCoro::Task<ClientResult<CreatedJob>> createJob(model::JobSpec spec);
    QCoro::Task<ClientResult<model::Job>> cancelJob(QString id);
    QCoro::Task<ClientResult<model::Job>> retryJob(QString id);
    QCoro::Task<ClientResult<LogPage>> logs(QString jobId, LogQuery query);
    QCoro::Task<ClientResult<QList<model::Artifact>>> artifacts(QString jobId);
    QCoro::Task<ClientResult<QList<Node>>> nodes();
    QCoro::Task<ClientResult<NodeList>> nodeList();
    // Any read route that answers a JSON object, with the same timeout, retries and checks.
    QCoro::Task<ClientResult<QJsonObject>> getObject(QString path, QUrlQuery query = {});

    // The create-job body (docs/api.md) for a spec, as POST /api/jobs reads it back.
    static QJsonObject specBody(const model::JobSpec &spec);

    // For the stream and download readers built on this client.
    QNetworkAccessManager *network() const { return m_nam; }
    QUrl url(const QString &path, const QUrlQuery &query = {}) const;
    QNetworkRequest request(const QUrl &url) const;
    // An answer from a server of another API version, or from something that is not Crawldeck.
    std::optional<ClientError> incompatibility(const QNetworkReply &reply) const;
    // The error an HTTP answer with an error status stands for (its JSON `error` and `detail`).
    static ClientError httpError(int status, const QByteArray &body);
    int backoffMs(int attempt, int retryAfterS = 0) const;
    // A reply that ended because the server's certificate was refused (untrusted, or not the pinned
    // one), with the fingerprint it showed. Every request of this client, streams and downloads
    // included, is checked by the network manager's handlers this class installs.
    std::optional<ClientError> tlsFailure(const QNetworkReply &reply) const;

private:
    QCoro::Task<ClientResult<QJsonObject>> call(QByteArray verb, QString path, QUrlQuery query,
                                                std::optional<QJsonObject> body, bool idempotent);
    QCoro::Task<ClientResult<model::Job>> jobAction(QString id, QString action);
    void checkCertificate(QNetworkReply *reply, const QList<QSslError> &errors);
    void checkPin(QNetworkReply *reply);

    ClientConfig m_config;
    QNetworkAccessManager *m_nam;
    bool m_closing = false;
};

} // namespace cd::client
