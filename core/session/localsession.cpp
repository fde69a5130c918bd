#include "localsession.h"

#include "artifacts/artifactstore.h"
#include "artifacts/resultcollector.h"
#include "feed/changefeed.h"
#include "logs/logbus.h"
#include "runners/runpodclient.h"
#include "runpodhealth.h"
#include "scheduler/scheduler.h"
#include "store/jobstore.h"
#include "store/logstore.h"
#include "store/nodestore.h"

#include <QFileInfo>
#include <QJsonObject>

namespace cd::session {

LocalSession::LocalSession(const LocalServices &services, QObject *parent) : Session(parent), m_s(services)
{
    feed::ChangeFeed *feed = m_s.bus->feed();
    connect(feed, &feed::ChangeFeed::jobAdded, this, &Session::jobAdded);
    connect(feed, &feed::ChangeFeed::jobChanged, this, &Session::jobChanged);
    connect(feed, &feed::ChangeFeed::jobRemoved, this, &Session::jobRemoved);
    connect(feed, &feed::ChangeFeed::linesCommitted, this, [this](const QString &jobId, const model::LogLines &lines) {
        if (!lines.isEmpty())
            Q_EMIT logAppended(jobId, lines.last().seq, lines);
    });
    connect(m_s.scheduler, &scheduler::Scheduler::jobFinished, this, &Session::jobFinished);
    if (m_s.results) {
        connect(m_s.results, &artifacts::ResultCollector::downloadProgress, this, &Session::resultDownloadProgress);
        connect(m_s.results, &artifacts::ResultCollector::downloadFinished, this, &Session::resultDownloadFinished);
    }
}

LocalSession::~LocalSession() = default;

template<typename T> void LocalSession::answer(QObject *context, const Reply<T> &done, Result<T> result)
{
    if (m_answers == Answers::Inline) {
        done(std::move(result));
        return;
    }
    // Dropped with the posted event when the context goes first.
    QMetaObject::invokeMethod(
        context, [done, result = std::move(result)] { done(result); }, Qt::QueuedConnection);
}

bool LocalSession::can(Capability capability) const
{
    switch (capability) {
    case Capability::ServiceSettings: return m_s.serviceSettings;
    case Capability::LocalFiles: return true;
    }
    return false;
}

void LocalSession::jobs(const model::JobFilter &filter, QObject *context, Reply<QList<model::Job>> done)
{
    answer(context, done, m_s.jobs->page(filter));
}

void LocalSession::job(const QString &id, QObject *context, Reply<model::Job> done)
{
    answer(context, done, m_s.jobs->job(id));
}

void LocalSession::retriesOf(const QString &id, QObject *context, Reply<QList<model::Job>> done)
{
    answer(context, done, Result<QList<model::Job>>(m_s.jobs->retriesOf(id)));
}

void LocalSession::validate(const model::JobSpec &spec, QObject *context, Reply<Ok> done)
{
    answer(context, done, m_s.scheduler->validate(spec));
}

void LocalSession::create(const model::JobSpec &spec, QObject *context, Reply<model::Job> done)
{
    answer(context, done, m_s.scheduler->submit(spec));
}

void LocalSession::cancel(const QString &id, QObject *context, Reply<model::Job> done)
{
    answer(context, done, m_s.scheduler->cancel(id));
}

void LocalSession::retry(const QString &id, QObject *context, Reply<model::Job> done)
{
    answer(context, done, m_s.scheduler->retry(id));
}

void LocalSession::logIndex(const QString &jobId, const QList<model::LogLevel> &levels, QObject *context,
                            Reply<LogIndex> done)
{
    // What this process queued is committed (and announced) first, so the index and the feed meet:
    // nothing runs between the flush and the reads below.
    m_s.logs->flush();
    LogIndex index;
    index.lastSeq = m_s.logs->lastSeq(jobId);
    if (!levels.isEmpty())
        index.seqs = m_s.logs->readSeqsAtLevels(jobId, levels, 0, 0, index.lastSeq).value_or({});
    answer(context, done, Result<LogIndex>(index));
}

void LocalSession::logLines(const store::LogQuery &query, QObject *context, Reply<model::LogLines> done)
{
    // Committed lines only, without a flush: a view asks from inside its paint, where a commit (and
    // the feed signals it sends) must not run. The feed brings the rest.
    answer(context, done, m_s.logs->committedPage(query));
}

void LocalSession::findInLog(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                             const QList<model::LogLevel> &levels, QObject *context, Reply<qint64> done)
{
    answer(context, done, Result<qint64>(m_s.logs->findSeq(jobId, fromSeq, text, forward, levels)));
}

void LocalSession::countInLog(const QString &jobId, const QString &text, const QList<model::LogLevel> &levels,
                              qint64 atSeq, QObject *context, Reply<LogMatchCount> done)
{
    const auto counted = m_s.logs->readCountMatching(jobId, text, levels, atSeq);
    answer(context, done,
           counted ? Result<LogMatchCount>(LogMatchCount{counted->total, counted->through})
                   : Result<LogMatchCount>(counted.error()));
}

void LocalSession::artifacts(const QString &jobId, QObject *context, Reply<QList<model::Artifact>> done)
{
    answer(context, done, m_s.jobs->artifactList(jobId));
}

void LocalSession::fetchArtifact(const QString &jobId, const QString &name, QObject *context, Reply<QString> done)
{
    Result<QString> path = m_s.artifacts->resolve(jobId, name);
    if (path && !QFileInfo(path.value()).isFile())
        path = Error::make(Error::Code::NotFound, QStringLiteral("%1 is no longer on disk").arg(path.value()));
    answer(context, done, path);
}

QString LocalSession::jobFolder(const QString &jobId) const
{
    return jobId.isEmpty() ? QString() : m_s.artifacts->outputDir(jobId);
}

void LocalSession::status(QObject *context, Reply<ServiceStatus> done)
{
    ServiceStatus st;
    st.counts = m_s.jobs->countsByStatus();
    for (auto b : model::allBackends()) {
        const bool on = m_s.scheduler->hasBackend(b);
        st.backends.append({b, on, on ? QString() : scheduler::Scheduler::notConfiguredMessage(b),
                            on ? m_s.scheduler->slots(b) : 0, m_s.scheduler->running(b)});
    }
    if (m_s.profiles)
        st.profiles = m_s.profiles();
    answer(context, done, Result<ServiceStatus>(st));
}

void LocalSession::runpodHealth(QObject *context, Reply<RunPodHealth> done)
{
    runners::RunPodClient *client = m_s.runpodClient ? m_s.runpodClient() : nullptr;
    if (!client) {
        answer(context, done, Result<RunPodHealth>(RunPodHealth{}));
        return;
    }
    // A network call: answered later whatever the answer mode.
    QCoro::connect(client->health(), context, [done](const runners::RunPodReply &r) {
        done(runpodHealthFrom(runners::RunPodHealthSnapshot::fromReply(r)));
    });
}

void LocalSession::nodes(QObject *context, Reply<QList<NodeStatus>> done)
{
    if (!m_s.nodes) {
        answer(context, done, Result<QList<NodeStatus>>(QList<NodeStatus>{}));
        return;
    }
    const auto seen = m_s.nodes->overview(m_s.nodeTimeoutS);
    if (!seen) {
        answer(context, done, Result<QList<NodeStatus>>(seen.error()));
        return;
    }
    QList<NodeStatus> out;
    for (const store::NodeInfo &n : seen->nodes) {
        NodeStatus s{n.id, n.address, n.version, n.startedAt, n.heartbeatAt, -1, n.alive, n.leader, {}};
        completeNode(s, seen->now, n.active);
        out.append(s);
    }
    answer(context, done, Result<QList<NodeStatus>>(out));
}

void LocalSession::callbackUrl(const QString &jobId, QObject *context, Reply<QString> done)
{
    const auto job = m_s.jobs->job(jobId);
    answer(context, done,
           job ? Result<QString>(m_s.scheduler->callbackUrl(job.value())) : Result<QString>(job.error()));
}

} // namespace cd::session
