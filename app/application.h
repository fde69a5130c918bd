#pragma once

#include "commandline.h"
#include "common/result.h"

#include <QObject>

#include <memory>

class QSocketNotifier;
class QLockFile;

namespace cd::settings {
class Settings;
class ConnectionList;
struct HostPort;
} // namespace cd::settings
namespace cd::store {
class Database;
class JobStore;
class LogStore;
class NodeStore;
class Retention;
} // namespace cd::store
namespace cd::retention {
class RetentionSweeper;
}
namespace cd::cluster {
class ClusterNode;
}
namespace cd::logs {
class LogBus;
}
namespace cd::feed {
class ChangeFeed;
}
namespace cd::artifacts {
class ArtifactStore;
}
namespace cd::scheduler {
class Scheduler;
}
namespace cd::runners {
class LocalRunner;
class RunPodClient;
class RunPodRunner;
class RunPodPodRunner;
} // namespace cd::runners
namespace cd::artifacts {
class ResultCollector;
}
namespace cd::http {
class Auth;
class ApiServer;
class SseHub;
class EventsHub;
class CrawlerController;
class JobsController;
class LogsController;
class ProfilesController;
class HealthController;
class RunPodController;
class NodesController;
} // namespace cd::http

class QNetworkAccessManager;
namespace cd::session {
class Session;
class LocalSession;
class RemoteSession;
} // namespace cd::session
namespace cd::ui {
class ConnectionHost;
}

namespace cd::app {

// The composition root: builds every service from the settings, then runs headless or with the GUI.
class Application : public QObject
{
    Q_OBJECT
public:
    explicit Application(const CommandLine &cl, QObject *parent = nullptr);
    ~Application() override;

    Status start();
    // Re-reads the saved settings and applies what can change while running; says what it did.
    QString applySettings();
    settings::Settings *settings() const { return m_settings.get(); }
    quint16 port() const;
    int runHeadless();
    int runGui();
    // The window attached to a remote server (--connect): no data directory, database or listener here
    // until the window is switched to This computer.
    int runRemote();

private:
    Status listen(const settings::HostPort &hp);
    void applyAuthLimits();
    void showTokenIfNeeded();
    QString baseUrl() const;
    QString callbackUrl(const QString &jobId) const;
    // The profiles a new job may name: the local runner's and the external one.
    QStringList profileNames() const;
    QString webhookUrl(const QString &jobId) const;
    void setUpRunPod();

    // The embedded service for the window, started the first time it is asked for.
    Result<session::Session *> startLocal();
    // The window's host over the desktop's saved connections.
    void makeHost();

    void installSignalHandlers();
    void shutdown();

    CommandLine m_cl;
    std::unique_ptr<settings::Settings> m_settings;
    std::unique_ptr<QLockFile> m_lock;
    std::unique_ptr<store::Database> m_db;
    std::unique_ptr<store::JobStore> m_jobs;
    std::unique_ptr<store::LogStore> m_logs;
    std::unique_ptr<feed::ChangeFeed> m_feed;
    std::unique_ptr<logs::LogBus> m_bus;
    std::unique_ptr<artifacts::ArtifactStore> m_artifacts;
    std::unique_ptr<store::Retention> m_retentionStore;
    std::unique_ptr<retention::RetentionSweeper> m_retention;
    std::unique_ptr<http::Auth> m_auth;
    std::unique_ptr<scheduler::Scheduler> m_scheduler;
    std::unique_ptr<runners::LocalRunner> m_local;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<artifacts::ResultCollector> m_results;
    std::unique_ptr<runners::RunPodClient> m_runpodClient;
    std::unique_ptr<runners::RunPodRunner> m_runpod;
    std::unique_ptr<runners::RunPodPodRunner> m_runpodPod;
    std::unique_ptr<http::SseHub> m_sse;
    std::unique_ptr<http::EventsHub> m_events;
    std::unique_ptr<http::ApiServer> m_api;
    std::unique_ptr<http::CrawlerController> m_crawlerApi;
    std::unique_ptr<http::JobsController> m_jobsApi;
    std::unique_ptr<http::LogsController> m_logsApi;
    std::unique_ptr<http::ProfilesController> m_profilesApi;
    std::unique_ptr<http::HealthController> m_healthApi;
    std::unique_ptr<http::RunPodController> m_runpodApi;
    std::unique_ptr<store::NodeStore> m_nodes;
    std::unique_ptr<cluster::ClusterNode> m_cluster;
    std::unique_ptr<http::NodesController> m_nodesApi;
    std::unique_ptr<session::LocalSession> m_session; // outlives the window that works on it
    QString m_startError;                             // why the embedded service's listener is down
    std::unique_ptr<settings::ConnectionList> m_connections;
    std::unique_ptr<ui::ConnectionHost> m_host; // the window, and the remote session it works on
    QSocketNotifier *m_signalNotifier = nullptr;
    bool m_shuttingDown = false;
};

} // namespace cd::app
