#include "clusternode.h"

#include "scheduler/scheduler.h"
#include "store/jobstore.h"
#include "store/nodestore.h"

#include <QLoggingCategory>
#include <QTimer>

namespace cd::cluster {

Q_LOGGING_CATEGORY(lcCluster, "crawldeck.cluster")

ClusterNode::ClusterNode(NodeConfig config, store::NodeStore *nodes, store::JobStore *jobs,
                         scheduler::Scheduler *scheduler, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_nodes(nodes)
    , m_jobs(jobs)
    , m_scheduler(scheduler)
    , m_timer(new QTimer(this))
    , m_probe(new QTimer(this))
    , m_startedAt(QDateTime::currentDateTimeUtc())
{
    m_config.timeoutS = qMax(1, m_config.timeoutS);
    m_timer->setInterval(intervalMs());
    connect(m_timer, &QTimer::timeout, this, &ClusterNode::beat);
    m_probe->setInterval(500);
    connect(m_probe, &QTimer::timeout, this, &ClusterNode::probe);
}

ClusterNode::~ClusterNode() = default;

int ClusterNode::intervalMs() const
{
    return qBound(200, m_config.timeoutS * 1000 / 3, 5000);
}

qint64 ClusterNode::msSinceHeartbeat() const
{
    return m_lastBeat.isValid() ? m_lastBeat.elapsed() : -1;
}

void ClusterNode::start()
{
    const auto row = m_config.exclusive ? Result<store::NodeInfo>(Error::make(Error::Code::NotFound, {}))
                                        : m_nodes->node(m_config.id);
    const auto now = m_nodes->now();
    // A row whose heartbeat is younger than the timeout may belong to a live process. (When the
    // database cannot be read the first beat fails too, and is retried by the timer.)
    if (row && now && row->heartbeatAt.isValid() && row->startedAt != m_startedAt &&
        row->heartbeatAt.secsTo(now.value()) < m_config.timeoutS) {
        qCWarning(lcCluster).noquote() << "node id" << m_config.id << "had a heartbeat"
                                       << row->heartbeatAt.msecsTo(now.value()) << "ms ago; making sure no live "
                                       << "process still uses it before joining";
        m_probedBeat = row->heartbeatAt;
        m_probing.start();
        m_probe->start();
        return;
    }
    join();
}

void ClusterNode::probe()
{
    const auto row = m_nodes->node(m_config.id);
    const auto now = m_nodes->now();
    if (row && row->heartbeatAt.isValid() && row->heartbeatAt != m_probedBeat && row->startedAt != m_startedAt) {
        m_probe->stop();
        return conflict(QStringLiteral("node id '%1' is in use by a live process (started %2 at %3); give every "
                                       "node its own --node-id")
                            .arg(m_config.id, model::isoUtc(row->startedAt),
                                 row->address.isEmpty() ? QStringLiteral("an unknown address") : row->address));
    }
    const bool stale = row && now && row->heartbeatAt.secsTo(now.value()) >= m_config.timeoutS;
    if (!stale && m_probing.elapsed() < kProbeMs && (row || row.error().code != Error::Code::NotFound))
        return;
    m_probe->stop();
    qCInfo(lcCluster).noquote() << "node id" << m_config.id << "is free: its last owner is gone";
    join();
}

void ClusterNode::join()
{
    // The previous owner of the row is gone (or never was): take it over.
    const auto now = m_nodes->beat(m_config.id, m_config.address, m_config.version, m_startedAt, true);
    if (now) {
        m_owned = true;
        m_lastBeat.start();
    } else
        qCWarning(lcCluster) << "first heartbeat of" << m_config.id << "failed:" << now.error().detail;
    m_joined = true;
    m_healthy = bool(now);
    m_timer->start();
    if (now)
        afterBeat(now.value()); // leadership first: the sweeps joined() starts ask for it
    Q_EMIT joined();
}

void ClusterNode::conflict(const QString &message)
{
    if (m_conflict)
        return;
    m_conflict = true;
    m_timer->stop();
    m_leader = false;
    m_healthy = false;
    m_scheduler->setClaiming(false);
    qCCritical(lcCluster).noquote() << message;
    Q_EMIT identityConflict(message);
}

void ClusterNode::leave()
{
    m_timer->stop();
    m_probe->stop();
    m_leader = false;
    if (!m_joined || m_conflict)
        return;
    if (auto st = m_nodes->leave(m_config.id, m_startedAt); !st)
        qCWarning(lcCluster) << "could not record that" << m_config.id << "leaves:" << st.error().detail;
}

void ClusterNode::beat()
{
    if (!m_joined || m_conflict)
        return;
    // Until one beat has been stored the row may still be a predecessor's: take it over then.
    const auto now = m_nodes->beat(m_config.id, m_config.address, m_config.version, m_startedAt, !m_owned);
    if (now)
        m_owned = true;
    if (!now && now.error().code == Error::Code::Conflict)
        return conflict(now.error().detail + QStringLiteral("; give every node its own --node-id"));
    if (!now) {
        if (m_healthy)
            qCWarning(lcCluster) << "heartbeat of" << m_config.id << "failed:" << now.error().detail;
        m_healthy = false;
        m_leader = false;
        // Others will declare this node dead: taking more work now would only have it rescued.
        m_scheduler->setClaiming(false);
        return;
    }
    if (!m_healthy)
        qCInfo(lcCluster) << "heartbeat of" << m_config.id << "works again";
    m_healthy = true;
    m_lastBeat.start();
    afterBeat(now.value());
}

void ClusterNode::afterBeat(const QDateTime &now)
{
    // After a pause (a stopped process, a lost network) another node may hold jobs this one still
    // runs: let go of them before claiming more.
    m_scheduler->checkClaims();
    m_scheduler->setClaiming(true);

    const auto led = m_nodes->lead(m_config.id, now, now.addSecs(m_config.timeoutS));
    const bool leader = led && led.value();
    if (leader != m_leader)
        qCInfo(lcCluster) << m_config.id << (leader ? "is the leader now" : "is no longer the leader");
    m_leader = leader;
    if (m_leader)
        rescue(now);
}

void ClusterNode::rescue(const QDateTime &now)
{
    const auto orphans = m_jobs->orphans(model::isoUtc(now.addSecs(-m_config.timeoutS)));
    if (!orphans) {
        qCWarning(lcCluster) << "cannot look for jobs of lost nodes:" << orphans.error().detail;
        return;
    }
    if (orphans->isEmpty())
        return;
    qCWarning(lcCluster) << "rescuing" << orphans->size() << "job(s) of lost nodes";
    m_rescued += orphans->size();
    m_scheduler->rescue(orphans.value());
}

} // namespace cd::cluster
