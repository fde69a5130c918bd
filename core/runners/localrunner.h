#pragma once

#include "runner.h"

#include <QHash>
#include <QMap>
#include <QSet>

#include "model/logline.h"

#include <functional>
#include <memory>

class QProcess;
class QTimer;

namespace cd::artifacts {
class ArtifactStore;
}
namespace cd::logs {
class LogBus;
}

namespace cd::runners {

struct CallbackInfo
{
    QString url;   // POST target for seed-protocol log lines
    QString token; // the job's own callback token
};

struct LocalRunnerConfig
{
    QMap<QString, QString> profiles; // name -> command line with {job_id} {output_dir} {params_file}
    QString selfExecutable;          // what a command's leading `crawldeck` means
    int graceMs = 10000;             // SIGTERM -> SIGKILL
    std::function<CallbackInfo(const QString &jobId)> callbackFor;
};

// Runs an operator-configured command per job as a child process in its own process group.
class LocalRunner final : public Runner
{
    Q_OBJECT
public:
    static inline const QString kDefaultProfile = QStringLiteral("crawler");

    LocalRunner(LocalRunnerConfig config, logs::LogBus *bus, artifacts::ArtifactStore *artifacts,
                QObject *parent = nullptr);
    ~LocalRunner() override;

    model::Backend backend() const override { return model::Backend::Local; }
    Status validate(const model::JobSpec &spec) const override;
    // The profile's command is this program's own crawl worker, whose params are known.
    bool runsBuiltInCrawler(const QString &profile) const;
    void start(const model::Job &job) override;
    void cancel(const QString &jobId) override;
    int activeCount() const override { return static_cast<int>(m_procs.size() + m_external.size()); }
    // A process from before the restart is gone; recovery fails local jobs instead of reattaching.
    void reattach(const model::Job &job) override;
    bool takesSlot(const model::Job &job) const override;
    void shutdown() override;
    QString callbackUrl(const QString &jobId) const override;

    void setProfiles(const QMap<QString, QString> &profiles) { m_config.profiles = profiles; }
    QMap<QString, QString> profiles() const { return m_config.profiles; }
    // Process group id of a running job (0 when not running); tests use it to check for orphans.
    qint64 processGroup(const QString &jobId) const;

private:
    struct Proc;
    Result<QStringList> commandFor(const model::Job &job) const;
    void onOutput(Proc *p, bool stderrStream, bool final);
    void onFinished(const QString &jobId, int exitCode, bool crashed);
    void fail(const QString &jobId, const QString &error);
    void waitForWorker(const QString &jobId, bool announce);
    void onExternalLines(const QString &jobId, const model::LogLines &lines);

    LocalRunnerConfig m_config;
    logs::LogBus *m_bus;
    artifacts::ArtifactStore *m_artifacts;
    QHash<QString, std::shared_ptr<Proc>> m_procs;
    QSet<QString> m_external;
};

} // namespace cd::runners
