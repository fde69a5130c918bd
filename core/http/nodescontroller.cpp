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
    // leader, jobs:{<backend>: active jobs}}], now}; alive = heartbeat within the node timeout, by
    // the database's clock; leader = holds the leader lease now. 503 when the database does not answer.
    router.add(
        QHttpServerRequest::Method::Get, QStringLiteral("/api/nodes"), Access::Control, {},
        [this](const Request &, Reply &&reply) {
            const auto seen = m_nodes->overview(m_timeoutS);
            if (!seen)
                return reply.error(seen.error());
            QJsonArray list;
            for (const store::NodeInfo &n : seen->nodes) {
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
                                        {QStringLiteral("alive"), n.alive},
                                        {QStringLiteral("leader"), n.leader},
                                        {QStringLiteral("running"), total},
                                        {QStringLiteral("jobs"), jobs}});
            }
            reply.json(QJsonObject{{QStringLiteral("nodes"), list}, {QStringLiteral("now"), model::isoUtc(seen->now)}});
        });
}

} // namespace cd::http
