#pragma once

#include "runner.h"

#include <QHash>
#include <QUrl>

#include <QCoro/QCoroTask>

#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace cd::logs {
class LogBus;
}
namespace cd::artifacts {
class ResultCollector;
}

namespace cd::runners {

struct RunPodPodConfig
{
    QUrl podUrl;    // the worker's base URL (RUNPOD_POD_URL)
    QString apiKey; // sent as Bearer when set
    std::function<QString(const QString &jobId)> callbackUrl;
    int requestTimeoutMs = 6 * 3600 * 1000; // long, but finite
    int cancelTimeoutMs = 5000;
};

// The `runpod-pod` backend (seeds 000/001): POST {pod_url}/process with
// {data, num_domains, job_id, callback_url}; the worker posts log lines to callback_url and the
// response body is the result. Cancel aborts the request and tells the worker
// (POST {pod_url}/cancel/{job_id}) when it listens for that.
class RunPodPodRunner final : public Runner
{
    Q_OBJECT
public:
    RunPodPodRunner(RunPodPodConfig config, QNetworkAccessManager *nam, logs::LogBus *bus,
                    artifacts::ResultCollector *results, QObject *parent = nullptr);
    ~RunPodPodRunner() override;

    model::Backend backend() const override { return model::Backend::RunPodPod; }
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

private:
    struct Track;
    QCoro::Task<> process(model::Job job);
    QCoro::Task<> tellWorkerToCancel(QString jobId);
    void finish(const QString &jobId, RunOutcome outcome);

    RunPodPodConfig m_config;
    QNetworkAccessManager *m_nam;
    logs::LogBus *m_bus;
    artifacts::ResultCollector *m_results;
    QHash<QString, std::shared_ptr<Track>> m_tracks;
};

} // namespace cd::runners
