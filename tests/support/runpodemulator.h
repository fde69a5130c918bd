#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <memory>

class QHttpServer;
class QHttpServerRequest;
class QHttpServerResponse;
class QNetworkAccessManager;

namespace cdtest {

// What one emulated job does. A job may carry its own script in input.params.emulator (the same
// keys as fromJson reads); otherwise the emulator's default applies.
struct EmuScript
{
    int queueMs = 200;                             // IN_QUEUE for this long
    int runMs = 600;                               // then IN_PROGRESS; -1 = until cancelled
    QList<QPair<int, QJsonValue>> progress;        // (ms into the run, progress_update value)
    QString outcome = QStringLiteral("COMPLETED"); // COMPLETED | FAILED | TIMED_OUT
    QJsonValue output;                             // COMPLETED output; "{files}" expands to the file URL base
    QJsonValue error;                              // FAILED error
    QStringList chunks;                            // generator output, produced evenly over the run
    QStringList finalChunks;                       // yielded as the handler returns: produced at completion
    QStringList callbacks;                         // worker log lines POSTed to input.callback_url

    static EmuScript fromJson(const QJsonObject &o);
};

// A RunPod serverless endpoint on loopback, following RunPod's documented API (DESIGN §5):
// /v2/{endpoint}/run|runsync|status|status-sync|stream|cancel|retry|purge-queue|health, Bearer or
// bare API key else 401, results kept for a retention period then 404, webhook POSTs retried twice,
// injectable 429/500 bursts, /run's policy checked against RunPod's limits (400) and its execution
// timeout enforced (the endpoint's when none is sent), and a generator's final chunks handed out
// only by a /stream call after the job ended. Also buildable as a standalone program for manual runs.
class RunPodEmulator : public QObject
{
    Q_OBJECT
public:
    explicit RunPodEmulator(QString apiKey = QStringLiteral("emu-key"), QString endpointId = QStringLiteral("ep-test"),
                            QObject *parent = nullptr);
    ~RunPodEmulator() override;

    quint16 listen(quint16 port = 0);
    QUrl endpointUrl() const; // what RUNPOD_ENDPOINT_URL would be
    QUrl v2Url() const;       // the SDKs' base URL
    QString filesBase() const;
    QString apiKey() const { return m_key; }
    QString endpointId() const { return m_endpoint; }

    void setDefaultScript(const EmuScript &s) { m_default = s; }
    // The endpoint's execution timeout, applied to a /run without policy.executionTimeout (RunPod's
    // default is 600 s). A run longer than its timeout ends FAILED "executionTimeout exceeded".
    void setEndpointExecutionTimeoutMs(qint64 ms) { m_endpointExecutionTimeoutMs = ms; }
    quint16 port() const { return m_port; }
    // The next `count` API calls whose path contains `pathPart` answer `status` (429 has no body).
    void failNext(int status, int count, const QString &pathPart = {});
    void setRetentionMs(int ms) { m_retentionMs = ms; }
    void setWebhookRetryMs(int ms) { m_webhookRetryMs = ms; }
    void serveFile(const QString &name, const QByteArray &content) { m_files.insert(name, content); }

    int count(const QString &op) const { return static_cast<int>(m_calls.value(op).size()); }
    QList<qint64> callTimes(const QString &op) const { return m_calls.value(op); }
    QJsonObject lastRunPayload() const { return m_lastRun; }
    QList<int> webhookAnswers() const { return m_webhookAnswers; }
    QString lastJobId() const { return m_lastJobId; }
    QString statusOf(const QString &id);

private:
    struct Job;
    QHttpServerResponse handle(const QString &op, const QString &endpoint, const QString &id,
                               const QHttpServerRequest &req);
    QJsonObject statusDoc(Job &job);
    void tick();
    void sendWebhook(const QString &id, int attempt);

    QString m_key;
    QString m_endpoint;
    std::unique_ptr<QHttpServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    quint16 m_port = 0;
    EmuScript m_default;
    QHash<QString, std::shared_ptr<Job>> m_jobs;
    QHash<QString, QByteArray> m_files;
    QHash<QString, QList<qint64>> m_calls;
    struct Fault
    {
        int status;
        int remaining;
        QString pathPart;
    };
    QList<Fault> m_faults;
    int m_retentionMs = 30 * 60 * 1000;
    qint64 m_endpointExecutionTimeoutMs = 600 * 1000;
    int m_webhookRetryMs = 10000;
    QJsonObject m_lastRun;
    QString m_lastJobId;
    QList<int> m_webhookAnswers;
    QElapsedTimer m_clock;
    QTimer m_tick;
    int m_retried = 0;
};

} // namespace cdtest
