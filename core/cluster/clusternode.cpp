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
    , m_startedAt(QDateTime::currentDateTimeUtc())
{
    m_config.timeoutS = qMax(1, m_config.timeoutS);
    m_timer->setInterval(intervalMs());
    connect(m_timer, &QTimer::timeout, this, &ClusterNode::beat);
}

ClusterNode::~ClusterNode() = default;

int ClusterNode::intervalMs() const
{
    return qBound(200, m_config.timeoutS * 1000 / 3, 5000);
}

void ClusterNode::start()
{
    beat();
    m_timer->start();
}

void ClusterNode::leave()
{
    m_timer->stop();
    m_leader = false;
    if (auto st = m_nodes->leave(m_config.id); !st)
        qCWarning(lcCluster) << "could not record that" << m_config.id << "leaves:" << st.error().detail;
}

void ClusterNode::beat()
{
    const auto now = m_nodes->beat(m_config.id, m_config.address, m_config.version, m_startedAt);
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
    // After a pause (a stopped process, a lost network) another node may hold jobs this one still
    // runs: let go of them before claiming more.
    m_scheduler->checkClaims();
    m_scheduler->setClaiming(true);

    const auto led = m_nodes->lead(m_config.id, now.value(), now.value().addSecs(m_config.timeoutS));
    const bool leader = led && led.value();
    if (leader != m_leader)
        qCInfo(lcCluster) << m_config.id << (leader ? "is the leader now" : "is no longer the leader");
    m_leader = leader;
    if (m_leader)
        rescue(now.value());
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
    m_scheduler->rescue(orphans.value());
}

} // namespace cd::cluster
