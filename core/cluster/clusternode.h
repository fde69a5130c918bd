#pragma once

#include <QDateTime>
#include <QElapsedTimer>
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
    // The database cannot be shared (SQLite behind the data directory lock): no other process can
    // hold this id, so a fresh row is this process's own from before a crash.
    bool exclusive = false;
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

    // Makes sure no live process already uses this node id, then beats (so the node is alive before
    // it claims anything) and emits joined(); then beats on a timer. Usually all of that happens
    // before start() returns; when the id's row is fresh (a crash a moment ago, or a second process
    // given the same --node-id) it first watches the row for up to kProbeMs: a heartbeat that
    // moves means the id is taken, and identityConflict() is emitted instead.
    void start();
    // Two heartbeat intervals of the slowest node (5 s) and a second of slack.
    static constexpr int kProbeMs = 11000;
    // Stops heartbeating and tells the others this node is gone (after its work was stopped).
    void leave();
    // Every timeout / 3 seconds, at most 5 s: a node is declared dead only after missing several.
    int intervalMs() const;
    bool isLeader() const { return m_leader; }
    bool isJoined() const { return m_joined; }
    // The last heartbeat was stored.
    bool isHealthy() const { return m_joined && m_healthy; }
    // Milliseconds since the last stored heartbeat; -1 before the first.
    qint64 msSinceHeartbeat() const;
    // Jobs of lost nodes this node rescued while it led.
    qint64 jobsRescued() const { return m_rescued; }
    const NodeConfig &config() const { return m_config; }
    // Known once the listener is up; before start().
    void setAddress(const QString &address) { m_config.address = address; }
    // Runs one heartbeat now (also what the timer does).
    void beat();

Q_SIGNALS:
    // This node is in the nodes table: recover its own jobs and start claiming.
    void joined();
    // Another live process uses this node id (at start, or it took the row over later). Stop: two
    // processes under one id would settle and finish each other's jobs.
    void identityConflict(const QString &message);

private:
    void rescue(const QDateTime &now);
    void probe();
    void afterBeat(const QDateTime &now);
    void join();
    void conflict(const QString &message);

    NodeConfig m_config;
    store::NodeStore *m_nodes;
    store::JobStore *m_jobs;
    scheduler::Scheduler *m_scheduler;
    QTimer *m_timer;
    QTimer *m_probe;
    QDateTime m_startedAt;
    QDateTime m_probedBeat; // the other process's heartbeat when the probe began
    QElapsedTimer m_probing;
    QElapsedTimer m_lastBeat;
    qint64 m_rescued = 0;
    bool m_leader = false;
    bool m_healthy = true;
    bool m_joined = false;
    bool m_owned = false; // a heartbeat of this process is in the row
    bool m_conflict = false;
};

} // namespace cd::cluster
