#include "delayedsession.h"

using namespace cd;
using session::Reply;

namespace cdtest {

DelayedSession::DelayedSession(std::unique_ptr<session::Session> inner, int delayMs)
    : m_inner(std::move(inner)), m_delayMs(delayMs)
{
    m_clock.start();
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &DelayedSession::release);
    session::Session *in = m_inner.get();
    connect(in, &Session::jobAdded, this,
            [this](const model::Job &j) { hold(this, [this, j] { Q_EMIT jobAdded(j); }); });
    connect(in, &Session::jobChanged, this,
            [this](const model::Job &j) { hold(this, [this, j] { Q_EMIT jobChanged(j); }); });
    connect(in, &Session::jobRemoved, this,
            [this](const QString &id) { hold(this, [this, id] { Q_EMIT jobRemoved(id); }); });
    connect(in, &Session::jobFinished, this,
            [this](const model::Job &j) { hold(this, [this, j] { Q_EMIT jobFinished(j); }); });
    connect(in, &Session::logAppended, this, [this](const QString &id, qint64 last, const model::LogLines &lines) {
        hold(this, [this, id, last, lines] { Q_EMIT logAppended(id, last, lines); });
    });
    connect(in, &Session::connectionStateChanged, this, [this](session::ConnectionState state) {
        hold(this, [this, state] { Q_EMIT connectionStateChanged(state); });
    });
    connect(in, &Session::resultDownloadProgress, this,
            [this](const QString &id, const QString &name, qint64 received, qint64 total) {
                hold(this, [=, this] { Q_EMIT resultDownloadProgress(id, name, received, total); });
            });
    connect(in, &Session::resultDownloadFinished, this, [this](const QString &id, const QString &name, bool ok) {
        hold(this, [=, this] { Q_EMIT resultDownloadFinished(id, name, ok); });
    });
    connect(in, &Session::artifactFetchProgress, this,
            [this](const QString &id, const QString &name, qint64 received, qint64 total) {
                hold(this, [=, this] { Q_EMIT artifactFetchProgress(id, name, received, total); });
            });
}

DelayedSession::~DelayedSession() = default;

void DelayedSession::hold(QObject *context, std::function<void()> deliver)
{
    m_queue.push_back(Held{m_clock.elapsed() + m_delayMs, context, std::move(deliver)});
    if (!m_timer.isActive())
        m_timer.start(m_delayMs);
}

void DelayedSession::release()
{
    if (m_queue.empty())
        return;
    if (const qint64 wait = m_queue.front().due - m_clock.elapsed(); wait > 0) {
        m_timer.start(static_cast<int>(wait));
        return;
    }
    Held h = std::move(m_queue.front());
    m_queue.pop_front();
    // The next one is timed before this one is delivered: a delivery may run a nested event loop (a
    // dialog), and what is held must keep coming meanwhile, in order.
    if (!m_queue.empty())
        m_timer.start(static_cast<int>(std::max<qint64>(0, m_queue.front().due - m_clock.elapsed())));
    ++m_delivered;
    if (h.context)
        h.deliver();
}

template<typename T> Reply<T> DelayedSession::later(QObject *context, Reply<T> done)
{
    return [this, context = QPointer<QObject>(context), done](Result<T> r) {
        if (context)
            hold(context, [done, r] { done(r); });
    };
}

void DelayedSession::jobs(const model::JobFilter &filter, QObject *context, Reply<QList<model::Job>> done)
{
    m_inner->jobs(filter, this, later(context, done));
}

void DelayedSession::job(const QString &id, QObject *context, Reply<model::Job> done)
{
    m_inner->job(id, this, later(context, done));
}

void DelayedSession::retriesOf(const QString &id, QObject *context, Reply<QList<model::Job>> done)
{
    m_inner->retriesOf(id, this, later(context, done));
}

void DelayedSession::validate(const model::JobSpec &spec, QObject *context, Reply<Ok> done)
{
    m_inner->validate(spec, this, later(context, done));
}

void DelayedSession::create(const model::JobSpec &spec, QObject *context, Reply<model::Job> done)
{
    m_inner->create(spec, this, later(context, done));
}

void DelayedSession::cancel(const QString &id, QObject *context, Reply<model::Job> done)
{
    m_inner->cancel(id, this, later(context, done));
}

void DelayedSession::retry(const QString &id, QObject *context, Reply<model::Job> done)
{
    m_inner->retry(id, this, later(context, done));
}

void DelayedSession::logIndex(const QString &jobId, const QList<model::LogLevel> &levels, QObject *context,
                              Reply<session::LogIndex> done)
{
    m_inner->logIndex(jobId, levels, this, later(context, done));
}

void DelayedSession::logLines(const store::LogQuery &query, QObject *context, Reply<model::LogLines> done)
{
    m_inner->logLines(query, this, later(context, done));
}

void DelayedSession::findInLog(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                               const QList<model::LogLevel> &levels, QObject *context, Reply<qint64> done)
{
    m_inner->findInLog(jobId, fromSeq, text, forward, levels, this, later(context, done));
}

void DelayedSession::countInLog(const QString &jobId, const QString &text, const QList<model::LogLevel> &levels,
                                qint64 atSeq, QObject *context, Reply<session::LogMatchCount> done)
{
    m_inner->countInLog(jobId, text, levels, atSeq, this, later(context, done));
}

void DelayedSession::callbackUrl(const QString &jobId, QObject *context, Reply<QString> done)
{
    m_inner->callbackUrl(jobId, this, later(context, done));
}

void DelayedSession::artifacts(const QString &jobId, QObject *context, Reply<QList<model::Artifact>> done)
{
    m_inner->artifacts(jobId, this, later(context, done));
}

void DelayedSession::fetchArtifact(const QString &jobId, const QString &name, QObject *context, Reply<QString> done)
{
    m_inner->fetchArtifact(jobId, name, this, later(context, done));
}

void DelayedSession::status(QObject *context, Reply<session::ServiceStatus> done)
{
    m_inner->status(this, later(context, done));
}

void DelayedSession::runpodHealth(QObject *context, Reply<session::RunPodHealth> done)
{
    m_inner->runpodHealth(this, later(context, done));
}

void DelayedSession::nodes(QObject *context, Reply<QList<session::NodeStatus>> done)
{
    m_inner->nodes(this, later(context, done));
}

} // namespace cdtest
