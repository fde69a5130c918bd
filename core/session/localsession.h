#pragma once

#include "session.h"

#include <functional>

namespace cd::store {
class JobStore;
class LogStore;
class NodeStore;
} // namespace cd::store
namespace cd::logs {
class LogBus;
}
namespace cd::scheduler {
class Scheduler;
}
namespace cd::artifacts {
class ArtifactStore;
class ResultCollector;
} // namespace cd::artifacts
namespace cd::runners {
class RunPodClient;
}

namespace cd::session {

// The services of this process a LocalSession works on; owned by the composition root.
struct LocalServices
{
    store::JobStore *jobs = nullptr;
    store::LogStore *logs = nullptr;
    logs::LogBus *bus = nullptr; // its feed is the change feed
    scheduler::Scheduler *scheduler = nullptr;
    artifacts::ArtifactStore *artifacts = nullptr;
    artifacts::ResultCollector *results = nullptr; // null: no result downloads to show
    // Asked at each call: the client changes when the settings are applied (null = not configured).
    std::function<runners::RunPodClient *()> runpodClient;
    std::function<QStringList()> profiles;
    bool serviceSettings = false;      // this process's service is configured from this window
    store::NodeStore *nodes = nullptr; // null: no node table, nodes() lists none
    int nodeTimeoutS = 30;             // a node is lost after this long without a heartbeat
};

// The Session over the core of this process: answers come from the store at once and the change
// feed is the process's own ChangeFeed. With Answers::Queued every answer is posted to the event
// loop instead (in call order), as a remote session would deliver them.
class LocalSession final : public Session
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalSession)
public:
    enum class Answers { Inline, Queued };

    explicit LocalSession(const LocalServices &services, QObject *parent = nullptr);
    ~LocalSession() override;

    void setAnswers(Answers answers) { m_answers = answers; }

    ConnectionState connectionState() const override { return ConnectionState::Connected; }
    bool can(Capability capability) const override;

    void jobs(const model::JobFilter &filter, QObject *context, Reply<QList<model::Job>> done) override;
    void job(const QString &id, QObject *context, Reply<model::Job> done) override;
    void retriesOf(const QString &id, QObject *context, Reply<QList<model::Job>> done) override;
    void validate(const model::JobSpec &spec, QObject *context, Reply<Ok> done) override;
    void create(const model::JobSpec &spec, QObject *context, Reply<model::Job> done) override;
    void cancel(const QString &id, QObject *context, Reply<model::Job> done) override;
    void retry(const QString &id, QObject *context, Reply<model::Job> done) override;

    void logIndex(const QString &jobId, const QList<model::LogLevel> &levels, QObject *context,
                  Reply<LogIndex> done) override;
    void logLines(const store::LogQuery &query, QObject *context, Reply<model::LogLines> done) override;
    void findInLog(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                   const QList<model::LogLevel> &levels, QObject *context, Reply<qint64> done) override;
    void countInLog(const QString &jobId, const QString &text, const QList<model::LogLevel> &levels, qint64 atSeq,
                    QObject *context, Reply<LogMatchCount> done) override;

    void artifacts(const QString &jobId, QObject *context, Reply<QList<model::Artifact>> done) override;
    void fetchArtifact(const QString &jobId, const QString &name, QObject *context, Reply<QString> done) override;
    QString jobFolder(const QString &jobId) const override;

    void status(QObject *context, Reply<ServiceStatus> done) override;
    void runpodHealth(QObject *context, Reply<RunPodHealth> done) override;
    void nodes(QObject *context, Reply<QList<NodeStatus>> done) override;
    void callbackUrl(const QString &jobId, QObject *context, Reply<QString> done) override;

private:
    template<typename T> void answer(QObject *context, const Reply<T> &done, Result<T> result);

    LocalServices m_s;
    Answers m_answers = Answers::Inline;
};

} // namespace cd::session
