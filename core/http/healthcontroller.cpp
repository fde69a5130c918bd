#include "healthcontroller.h"

#include "apiserver.h"
#include "cluster/clusternode.h"
#include "common/logging.h"
#include "eventshub.h"
#include "feed/changefeed.h"
#include "retention/retentionsweeper.h"
#include "router.h"
#include "scheduler/scheduler.h"
#include "ssehub.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QJsonObject>

namespace cd::http {

HealthController::HealthController(Services services, QString version, QObject *parent)
    : QObject(parent), m_s(std::move(services)), m_version(std::move(version))
{
    m_uptime.start();
}

void HealthController::registerRoutes(Router &router)
{
    // GET /health — open. 200 {status:"ok", version, api_version, uptime_s, jobs:{<status>:n}, backends:{<id>:
    // {slots, running}}, streams}. 503 {status:"unavailable", version, api_version, uptime_s, error} + Retry-After
    // while the database cannot be read, so a load balancer sends no work to this node. Job counts
    // only, no ids or params. 400 any query parameter.
    router.add(QHttpServerRequest::Method::Get, QStringLiteral("/health"), Access::Open, {},
               [this](const Request &, Reply &&reply) {
                   QJsonObject body{{QStringLiteral("version"), m_version},
                                    {QStringLiteral("api_version"), kApiVersion},
                                    {QStringLiteral("uptime_s"), m_uptime.elapsed() / 1000}};
                   const auto byStatus = m_s.jobs->statusCounts();
                   if (!byStatus) {
                       body.insert(QStringLiteral("status"), QStringLiteral("unavailable"));
                       // Open route: the driver's text (host, port, user) goes to the log only.
                       qCWarning(lcHttp).noquote() << "health: the database cannot be read:" << byStatus.error().detail;
                       body.insert(QStringLiteral("error"), QStringLiteral("the database cannot be read"));
                       return reply.json(body, 503, {{QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1")}});
                   }
                   QJsonObject counts;
                   for (auto s : model::allStatuses())
                       counts.insert(model::toString(s), byStatus->value(s, 0));
                   QJsonObject backends;
                   for (auto b : model::allBackends()) {
                       if (!m_s.scheduler->hasBackend(b))
                           continue;
                       backends.insert(model::toString(b),
                                       QJsonObject{{QStringLiteral("slots"), m_s.scheduler->slots(b)},
                                                   {QStringLiteral("running"), m_s.scheduler->running(b)}});
                   }
                   body.insert(QStringLiteral("status"), QStringLiteral("ok"));
                   body.insert(QStringLiteral("jobs"), counts);
                   body.insert(QStringLiteral("backends"), backends);
                   body.insert(QStringLiteral("streams"), m_s.sse ? m_s.sse->subscriberCount() : 0);
                   reply.json(body);
               });
    // GET /metrics — read. Prometheus text format: jobs by status, backend slots and running jobs,
    // log lines committed, group commits, commit failures, pending lines, live streams, HTTP
    // connections and guard rejections, retention (days kept, jobs and lines deleted), database
    // reachable, this node's heartbeat, leadership and rescues, the change feed's LISTEN connection,
    // uptime. 400 any query parameter.
    router.add(QHttpServerRequest::Method::Get, QStringLiteral("/metrics"), Access::Read, {},
               [this](const Request &, Reply &&reply) {
                   reply.bytes(QByteArrayLiteral("text/plain; version=0.0.4"), metrics());
               });
}

QByteArray HealthController::metrics() const
{
    QByteArray out;
    auto metric = [&out](const char *name, const char *type, const char *help) {
        out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
    };
    auto value = [&out](const QByteArray &series, double v) {
        out += series + ' ' + QByteArray::number(v, 'g', 15) + '\n';
    };
    const auto byStatus = m_s.jobs->statusCounts();
    metric("crawldeck_database_up", "gauge", "1 when the database answered this scrape, else 0.");
    value("crawldeck_database_up", byStatus ? 1 : 0);
    if (byStatus) {
        metric("crawldeck_jobs", "gauge", "Jobs by status.");
        for (auto s : model::allStatuses())
            value("crawldeck_jobs{status=\"" + model::toString(s).toUtf8() + "\"}", byStatus->value(s, 0));
    }
    metric("crawldeck_backend_slots", "gauge", "Concurrency limit per configured backend.");
    for (auto b : model::allBackends())
        if (m_s.scheduler->hasBackend(b))
            value("crawldeck_backend_slots{backend=\"" + model::toString(b).toUtf8() + "\"}", m_s.scheduler->slots(b));
    metric("crawldeck_backend_running", "gauge", "Jobs handed to each backend.");
    for (auto b : model::allBackends())
        if (m_s.scheduler->hasBackend(b))
            value("crawldeck_backend_running{backend=\"" + model::toString(b).toUtf8() + "\"}",
                  m_s.scheduler->running(b));
    metric("crawldeck_log_lines_committed_total", "counter", "Log lines written since start.");
    value("crawldeck_log_lines_committed_total", static_cast<double>(m_s.logs->linesCommitted()));
    metric("crawldeck_log_commits_total", "counter", "Group commits since start.");
    value("crawldeck_log_commits_total", static_cast<double>(m_s.logs->commits()));
    metric("crawldeck_log_commit_failures_total", "counter", "Group commits that failed (lines kept and retried).");
    value("crawldeck_log_commit_failures_total", static_cast<double>(m_s.logs->commitFailures()));
    metric("crawldeck_log_lines_dropped_total", "counter", "Log lines the database refused even as a warning.");
    value("crawldeck_log_lines_dropped_total", static_cast<double>(m_s.logs->linesDropped()));
    metric("crawldeck_log_lines_pending", "gauge", "Log lines waiting for the next group commit.");
    value("crawldeck_log_lines_pending", m_s.logs->pendingCount());
    metric("crawldeck_streams", "gauge", "Open live streams (log streams and job events).");
    value("crawldeck_streams{kind=\"logs\"}", m_s.sse ? m_s.sse->subscriberCount() : 0);
    value("crawldeck_streams{kind=\"events\"}", m_s.events ? m_s.events->subscriberCount() : 0);
    if (m_s.api && m_s.api->listener()) {
        metric("crawldeck_http_connections", "gauge", "Open HTTP connections.");
        value("crawldeck_http_connections", m_s.api->listener()->openConnections());
        metric("crawldeck_http_rejected_total", "counter",
               "Requests refused by the connection guards (408/413/431/503).");
        value("crawldeck_http_rejected_total", static_cast<double>(m_s.api->listener()->rejectedCount()));
    }
    if (m_s.retention) {
        metric("crawldeck_retention_days", "gauge", "Days finished jobs are kept (0 = forever).");
        value("crawldeck_retention_days", m_s.retention->days());
        metric("crawldeck_retention_jobs_deleted_total", "counter", "Finished jobs deleted by retention since start.");
        value("crawldeck_retention_jobs_deleted_total", static_cast<double>(m_s.retention->jobsDeleted()));
        metric("crawldeck_retention_log_lines_deleted_total", "counter",
               "Log lines deleted with those jobs since start.");
        value("crawldeck_retention_log_lines_deleted_total", static_cast<double>(m_s.retention->linesDeleted()));
    }
    if (const auto *node = m_s.cluster) {
        metric("crawldeck_node_heartbeat_ok", "gauge", "1 while this node's last heartbeat was stored.");
        value("crawldeck_node_heartbeat_ok", node->isHealthy() ? 1 : 0);
        metric("crawldeck_node_heartbeat_age_seconds", "gauge",
               "Seconds since this node's last stored heartbeat (-1 before the first).");
        const qint64 age = node->msSinceHeartbeat();
        value("crawldeck_node_heartbeat_age_seconds", age < 0 ? -1.0 : static_cast<double>(age) / 1000.0);
        metric("crawldeck_node_leader", "gauge",
               "1 while this node holds the leader lease (rescues lost nodes' jobs, sweeps retention).");
        value("crawldeck_node_leader", node->isLeader() ? 1 : 0);
        metric("crawldeck_node_jobs_rescued_total", "counter", "Jobs of lost nodes this node rescued since start.");
        value("crawldeck_node_jobs_rescued_total", static_cast<double>(node->jobsRescued()));
    }
    if (m_s.feed && m_s.feed->shared()) {
        metric("crawldeck_feed_listening", "gauge",
               "1 while the change feed's LISTEN connection is subscribed (else changes arrive by polling).");
        value("crawldeck_feed_listening", m_s.feed->listening() ? 1 : 0);
    }
    metric("crawldeck_uptime_seconds", "gauge", "Seconds since start.");
    value("crawldeck_uptime_seconds", static_cast<double>(m_uptime.elapsed()) / 1000.0);
    return out;
}

} // namespace cd::http
