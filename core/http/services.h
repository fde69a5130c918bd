#pragma once

#include <functional>

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace cd::store {
class JobStore;
class LogStore;
} // namespace cd::store
namespace cd::logs {
class LogBus;
}
namespace cd::scheduler {
class Scheduler;
}
namespace cd::artifacts {
class ArtifactStore;
}
namespace cd::retention {
class RetentionSweeper;
}
namespace cd::feed {
class ChangeFeed;
}
namespace cd::cluster {
class ClusterNode;
}

namespace cd::http {

class Auth;
class SseHub;
class EventsHub;
class ApiServer;

// What the controllers work with; owned by the composition root.
struct Services
{
    store::JobStore *jobs = nullptr;
    store::LogStore *logs = nullptr;
    logs::LogBus *bus = nullptr;
    scheduler::Scheduler *scheduler = nullptr;
    artifacts::ArtifactStore *artifacts = nullptr;
    Auth *auth = nullptr;
    SseHub *sse = nullptr;
    EventsHub *events = nullptr;
    ApiServer *api = nullptr;
    retention::RetentionSweeper *retention = nullptr; // null where nothing sweeps (tests)
    feed::ChangeFeed *feed = nullptr;                 // null in tests that have none
    cluster::ClusterNode *cluster = nullptr;          // null in tests that run no node
    // The local runner's profile names a job may give (null: none listed).
    std::function<QStringList()> profiles;
    // The URL a worker posts log lines to for a job (token included).
    std::function<QString(const QString &jobId)> callbackUrl;
    // Hands a RunPod webhook to the runpod backend; false when that backend is not configured.
    std::function<bool(const QString &jobId, const QJsonObject &statusDoc)> runpodWebhook;
};

} // namespace cd::http
