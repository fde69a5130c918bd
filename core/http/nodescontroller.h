#pragma once

#include <QObject>

namespace cd::store {
class NodeStore;
}

namespace cd::http {

class Router;

// GET /api/nodes: the nodes sharing this database, as the database sees them.
class NodesController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodesController)
public:
    // `timeoutS`: a node whose last heartbeat is older than this is shown as not alive.
    NodesController(store::NodeStore *nodes, int timeoutS, QObject *parent = nullptr);
    void registerRoutes(Router &router);

private:
    store::NodeStore *m_nodes;
    int m_timeoutS;
};

} // namespace cd::http
