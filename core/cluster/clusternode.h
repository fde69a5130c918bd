#pragma once

#include <QDateTime>
#include <QObject>
#include <QString>

class QTimer;

namespace cd::store {
class JobStore;
class NodeStore;
} // namespace cd::store
namespace cd::scheduler {
class Scheduler;
}

namespace cd::cluster {

struct NodeConfig
{
    QString id;      // --node-id
    QString address; // where the node serves (shown in /api/nodes)
    QString version;
    int timeoutS = 30; // --node-timeout: a node silent this long is dead
};

// This node's membership: heartbeats into the nodes table, stops the scheduler claiming while the
// heartbeat fails, and, while it holds the leader lease, rescues the jobs of dead nodes.
//
// Leadership is a lease row (leases.name = 'leader', renewed with every heartbeat) rather than a
// PostgreSQL advisory lock: it needs no connection of its own, survives the reconnects QPSQL has to
// do by hand, reads the same on SQLite, and its holder is visible to operators in the table.
class ClusterNode final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClusterNode)
public:
    ClusterNode(NodeConfig config, store::NodeStore *nodes, store::JobStore *jobs, scheduler::Scheduler *scheduler,
                QObject *parent = nullptr);
    ~ClusterNode() override;

    // Beats once at once (so the node is alive before it claims anything), then on a timer.
    void start();
    // Stops heartbeating and tells the others this node is gone (after its work was stopped).
    void leave();
    // Every timeout / 3 seconds, at most 5 s: a node is declared dead only after missing several.
    int intervalMs() const;
    bool isLeader() const { return m_leader; }
    const NodeConfig &config() const { return m_config; }
    // Runs one heartbeat now (also what the timer does).
    void beat();

private:
    void rescue(const QDateTime &now);

    NodeConfig m_config;
    store::NodeStore *m_nodes;
    store::JobStore *m_jobs;
    scheduler::Scheduler *m_scheduler;
    QTimer *m_timer;
    QDateTime m_startedAt;
    bool m_leader = false;
    bool m_healthy = true;
};

} // namespace cd::cluster
