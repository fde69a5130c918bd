#pragma once

#include "client/apiclient.h"
#include "session.h"

#include <QHash>
#include <QSet>
#include <QStringList>

namespace cd::client {
class SseReader;
struct SseEvent;
} // namespace cd::client

namespace cd::session {

// The Session over a Crawldeck server's HTTP API (DESIGN §11). Every answer comes later from the
// event loop, through the caller's context. The change feed is /api/events; a job whose log index
// was asked for is followed on its log stream, and its lines are read by page from the last one
// announced, so they arrive once each and in order across any number of reconnects. After the
// event stream comes back, the newest jobs are read again and what changed meanwhile is announced;
// the jobs it had shown that are not among them are read back one by one, and those the server no
// longer has (deleted by retention while the stream was down) are announced as removed.
class RemoteSession final : public Session
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RemoteSession)
public:
    // How many jobs' logs are followed at once (the log console's and a few recent ones).
    static constexpr int kMaxFollowed = 4;
    // Jobs read again after a reconnect.
    static constexpr int kRefreshJobs = 200;

    explicit RemoteSession(client::ClientConfig config, QObject *parent = nullptr);
    ~RemoteSession() override;

    // Opens the change feed; connectionStateChanged() follows it.
    void start();
    client::ApiClient *client() const { return m_client; }
    // Starts over with another token (after ConnectionState::Unauthorized).
    void setToken(const QByteArray &token);
    // Why the change feed stopped (Offline, Unauthorized); empty while it runs.
    QString lastError() const { return m_lastError; }
    // Where fetched artifacts are kept (per server and job): under the user's cache unless set.
    QString cacheDir() const;
    void setCacheRoot(const QString &dir) { m_cacheRoot = dir; }
    // The error a call to the server ended with, in the core's vocabulary.
    static Error toError(const client::ClientError &error);

    ConnectionState connectionState() const override { return m_state; }
    bool can(Capability capability) const override;

    void jobs(const model::JobFilter &filter, QObject *context, Reply<QList<model::Job>> done) override;
    void job(const QString &id, QObject *context, Reply<model::Job> done) override;
    void retriesOf(const QString &id, QObject *context, Reply<QList<model::Job>> done) override;
    void validate(const model::JobSpec &spec, QObject *context, Reply<Ok> done) override;
    void create(const model::JobSpec &spec, QObject *context, Reply<model::Job> done) override;
    void cancel(const QString &id, QObject *context, Reply<model::Job> done) override;
    void retry(const QString &id, QObject *context, Reply<model::Job> done) override;

    void logIndex(const QString &jobId, const QList<model::LogLevel> &levels, QObject *context,
                  Reply<LogIndex> done) override;
    void logLines(const store::LogQuery &query, QObject *context, Reply<model::LogLines> done) override;
    void findInLog(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                   const QList<model::LogLevel> &levels, QObject *context, Reply<qint64> done) override;
    void countInLog(const QString &jobId, const QString &text, const QList<model::LogLevel> &levels, qint64 atSeq,
                    QObject *context, Reply<LogMatchCount> done) override;

    void artifacts(const QString &jobId, QObject *context, Reply<QList<model::Artifact>> done) override;
    void fetchArtifact(const QString &jobId, const QString &name, QObject *context, Reply<QString> done) override;
    QString jobFolder(const QString &) const override { return {}; }

    void status(QObject *context, Reply<ServiceStatus> done) override;
    void runpodHealth(QObject *context, Reply<RunPodHealth> done) override;
    void nodes(QObject *context, Reply<QList<NodeStatus>> done) override;

    // Seqs asked for per page of a log index (each page its own request; tests make it small).
    void setLogIndexPage(int seqs) { m_indexPage = seqs; }

    void callbackUrl(const QString &jobId, QObject *context, Reply<QString> done) override;

    // Jobs whose logs are followed now (for tests and diagnostics).
    QStringList followed() const { return m_order; }
    // Jobs read back after the last reconnect because the newest page did not have them.
    int readBackCount() const { return m_readBack; }

private:
    struct Follow
    {
        client::SseReader *stream = nullptr;
        qint64 delivered = 0; // every line up to here was announced
        qint64 target = 0;    // the stream said the log reaches this far
        bool fetching = false;
        bool ended = false; // the job ended: stop once delivered reaches target
    };

    // One path segment of a URL, percent-encoded.
    static QString encoded(const QString &segment);
    void setState(ConnectionState state);
    void onEvent(const client::SseEvent &event);
    void seen(const model::Job &job, bool created);
    void refresh();
    void remember(const QList<model::Job> &jobs);
    void gone(const QString &jobId);
    QCoro::Task<> readBack(QStringList ids, quint64 generation);
    void follow(const QString &jobId, qint64 lastSeq);
    void unfollow(const QString &jobId);
    void onLogEvent(const QString &jobId, const client::SseEvent &event);
    void pump(const QString &jobId);
    QCoro::Task<client::ClientResult<QString>> download(QString jobId, QString name);
    QCoro::Task<client::ClientResult<ServiceStatus>> serviceStatus();
    QCoro::Task<client::ClientResult<LogIndex>> readIndex(QString jobId, QList<model::LogLevel> levels);

    client::ApiClient *m_client;
    client::SseReader *m_events = nullptr;
    ConnectionState m_state = ConnectionState::Reconnecting;
    bool m_wasConnected = false;
    QHash<QString, model::JobStatus> m_known; // the last status the feed announced per job
    QSet<QString> m_shown;                    // jobs handed to the window (and not removed since)
    quint64 m_refreshes = 0;
    int m_readBack = 0;
    QHash<QString, Follow> m_follows;
    QStringList m_order; // followed jobs, least recently asked first
    QString m_cacheRoot;
    QString m_lastError;
    int m_indexPage = 100000;
};

} // namespace cd::session
