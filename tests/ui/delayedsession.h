#pragma once

#include "session/session.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <memory>

namespace cdtest {

// A Session that answers late: it forwards every call to a real session and holds every answer and
// every feed signal for `delayMs` before passing it on, in the order the real session gave them, as
// a session across a slow network would. Not a mock: the answers are the real session's.
class DelayedSession final : public cd::session::Session
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DelayedSession)
public:
    DelayedSession(std::unique_ptr<cd::session::Session> inner, int delayMs);
    ~DelayedSession() override;

    cd::session::Session *inner() const { return m_inner.get(); }
    // Answers and signals held now.
    int held() const { return static_cast<int>(m_queue.size()); }
    quint64 delivered() const { return m_delivered; }

    cd::session::ConnectionState connectionState() const override { return m_inner->connectionState(); }
    bool can(cd::session::Capability capability) const override { return m_inner->can(capability); }

    void jobs(const cd::model::JobFilter &filter, QObject *context,
              cd::session::Reply<QList<cd::model::Job>> done) override;
    void job(const QString &id, QObject *context, cd::session::Reply<cd::model::Job> done) override;
    void retriesOf(const QString &id, QObject *context, cd::session::Reply<QList<cd::model::Job>> done) override;
    void validate(const cd::model::JobSpec &spec, QObject *context, cd::session::Reply<cd::Ok> done) override;
    void create(const cd::model::JobSpec &spec, QObject *context, cd::session::Reply<cd::model::Job> done) override;
    void cancel(const QString &id, QObject *context, cd::session::Reply<cd::model::Job> done) override;
    void retry(const QString &id, QObject *context, cd::session::Reply<cd::model::Job> done) override;
    void logIndex(const QString &jobId, const QList<cd::model::LogLevel> &levels, QObject *context,
                  cd::session::Reply<cd::session::LogIndex> done) override;
    void logLines(const cd::store::LogQuery &query, QObject *context,
                  cd::session::Reply<cd::model::LogLines> done) override;
    void findInLog(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                   const QList<cd::model::LogLevel> &levels, QObject *context,
                   cd::session::Reply<qint64> done) override;
    void countInLog(const QString &jobId, const QString &text, const QList<cd::model::LogLevel> &levels, qint64 atSeq,
                    QObject *context, cd::session::Reply<cd::session::LogMatchCount> done) override;
    void artifacts(const QString &jobId, QObject *context,
                   cd::session::Reply<QList<cd::model::Artifact>> done) override;
    void fetchArtifact(const QString &jobId, const QString &name, QObject *context,
                       cd::session::Reply<QString> done) override;
    QString jobFolder(const QString &jobId) const override { return m_inner->jobFolder(jobId); }
    void status(QObject *context, cd::session::Reply<cd::session::ServiceStatus> done) override;
    void runpodHealth(QObject *context, cd::session::Reply<cd::session::RunPodHealth> done) override;
    void nodes(QObject *context, cd::session::Reply<QList<cd::session::NodeStatus>> done) override;
    void callbackUrl(const QString &jobId, QObject *context, cd::session::Reply<QString> done) override;

private:
    // Holds `deliver` for the delay; dropped if `context` is gone by then.
    void hold(QObject *context, std::function<void()> deliver);
    // The real session's answer, held, for the caller's context.
    template<typename T> cd::session::Reply<T> later(QObject *context, cd::session::Reply<T> done);
    void release();

    struct Held
    {
        qint64 due = 0;
        QPointer<QObject> context;
        std::function<void()> deliver;
    };
    std::unique_ptr<cd::session::Session> m_inner;
    int m_delayMs;
    std::deque<Held> m_queue;
    QTimer m_timer;
    QElapsedTimer m_clock;
    quint64 m_delivered = 0;
};

} // namespace cdtest
