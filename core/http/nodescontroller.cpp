#include "nodescontroller.h"

#include "model/job.h"
#include "router.h"
#include "store/nodestore.h"

#include <QJsonArray>
#include <QJsonObject>

namespace cd::http {

NodesController::NodesController(store::NodeStore *nodes, int timeoutS, QObject *parent)
    : QObject(parent), m_nodes(nodes), m_timeoutS(timeoutS)
{}

void NodesController::registerRoutes(Router &router)
{
    // GET /api/nodes — control. 200 {nodes:[{id, address, version, started_at, heartbeat_at, alive,
    // jobs:{<backend>: active jobs}}], now}; alive = heartbeat within the node timeout, by the
    // database's clock. 503 when the database does not answer.
    router.add(QHttpServerRequest::Method::Get, QStringLiteral("/api/nodes"), Access::Control, {},
               [this](const Request &, Reply &&reply) {
                   const auto now = m_nodes->now();
                   if (!now)
                       return reply.error(now.error());
                   const auto nodes = m_nodes->nodes();
                   if (!nodes)
                       return reply.error(nodes.error());
                   const QDateTime cutoff = now.value().addSecs(-m_timeoutS);
                   QJsonArray list;
                   for (const store::NodeInfo &n : nodes.value()) {
                       QJsonObject jobs;
                       int total = 0;
                       for (auto it = n.active.cbegin(); it != n.active.cend(); ++it) {
                           jobs.insert(it.key(), it.value());
                           total += it.value();
                       }
                       list.append(QJsonObject{{QStringLiteral("id"), n.id},
                                               {QStringLiteral("address"), n.address},
                                               {QStringLiteral("version"), n.version},
                                               {QStringLiteral("started_at"), model::isoUtc(n.startedAt)},
                                               {QStringLiteral("heartbeat_at"), model::isoUtc(n.heartbeatAt)},
                                               {QStringLiteral("alive"), n.heartbeatAt >= cutoff},
                                               {QStringLiteral("running"), total},
                                               {QStringLiteral("jobs"), jobs}});
                   }
                   reply.json(QJsonObject{{QStringLiteral("nodes"), list},
                                          {QStringLiteral("now"), model::isoUtc(now.value())}});
               });
}

} // namespace cd::http
