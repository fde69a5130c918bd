#pragma once

#include "runner.h"
#include "runpodclient.h"

#include <QElapsedTimer>
#include <QHash>

#include <functional>
#include <memory>

namespace cd::store {
class JobStore;
}
namespace cd::logs {
class LogBus;
}
namespace cd::artifacts {
class ResultCollector;
}

namespace cd::runners {

struct RunPodRunnerConfig
{
    RunPodClientConfig client;
    std::function<QString(const QString &jobId)> callbackUrl; // log callbacks, token included
    std::function<QString(const QString &jobId)> webhookUrl;  // empty string: no webhook
    int pollMinMs = 1000;
    int pollMaxMs = 5000;
    int slowAfterMs = 30000; // long jobs are polled less often after this
    int cancelConfirmMs = 60000;
    bool readStream = true;
    // RunPod cuts a job at the endpoint's execution timeout (600 s unless configured otherwise) when
    // /run carries no policy, whatever the job's timeout_s. A job without one is given a day: long
    // enough for any crawl started without a limit, short enough that a stuck worker bills for a
    // day, not for RunPod's maximum of a week.
    int defaultExecutionTimeoutS = 24 * 3600;
    // How long a job may wait in RunPod's queue on top of its execution time before RunPod drops it
    // (the policy's ttl covers both); a day, RunPod's own default ttl.
    int queueAllowanceS = 24 * 3600;
};

// The `runpod` backend: RunPod serverless endpoints. Submits with /run, stores the remote id at once,
// then polls /status (1 s, easing to 5 s for long jobs) and /stream; the webhook, when it arrives
// first, settles the job the same way (whichever comes first wins, the other is a no-op).
class RunPodRunner final : public Runner
{
    Q_OBJECT
public:
    RunPodRunner(RunPodRunnerConfig config, RunPodClient *client, store::JobStore *jobs, logs::LogBus *bus,
                 artifacts::ResultCollector *results, QObject *parent = nullptr);
    ~RunPodRunner() override;

    model::Backend backend() const override { return model::Backend::RunPod; }
    Status validate(const model::JobSpec &spec) const override;
    void start(const model::Job &job) override;
    void cancel(const QString &jobId) override;
    int activeCount() const override { return static_cast<int>(m_tracks.size()); }
    void reattach(const model::Job &job) override;
    void shutdown() override;
    QString callbackUrl(const QString &jobId) const override
    {
        return m_config.callbackUrl ? m_config.callbackUrl(jobId) : QString();
    }

    // A RunPod webhook POST for one of our jobs (the status document).
    void onWebhook(const QString &jobId, const QJsonObject &statusDoc);

    // Builds the /run payload (input shape read by the seed workers) and its policy: the job's
    // timeout (or defaultExecutionTimeoutS) as executionTimeout and a ttl covering queue time too,
    // both in ms and within RunPod's limits.
    QJsonObject runPayload(const model::Job &job) const;

private:
    struct Track;
    QCoro::Task<> submit(model::Job job);
    QCoro::Task<> poll(QString jobId);
    QCoro::Task<> apply(QString jobId, QJsonObject doc);
    QCoro::Task<> requestCancel(QString jobId);
    // Appends the /stream chunks RunPod holds for the job to its log (each chunk is delivered once).
    QCoro::Task<> readStream(QString jobId);
    void progressFrom(Track &t, const QJsonValue &output);
    void finish(const QString &jobId, RunOutcome outcome);
    std::shared_ptr<Track> track(const QString &jobId) const { return m_tracks.value(jobId); }

    RunPodRunnerConfig m_config;
    RunPodClient *m_client;
    store::JobStore *m_jobs;
    logs::LogBus *m_bus;
    artifacts::ResultCollector *m_results;
    QHash<QString, std::shared_ptr<Track>> m_tracks;
};

} // namespace cd::runners
