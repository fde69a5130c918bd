#pragma once

#include "common/result.h"
#include "model/artifact.h"
#include "model/job.h"
#include "model/jobfilter.h"
#include "model/logline.h"
#include "store/logstore.h"

#include <QDateTime>
#include <QHash>
#include <QLoggingCategory>
#include <QObject>
#include <QStringList>

#include <functional>

namespace cd::session {

Q_DECLARE_LOGGING_CATEGORY(lcSession)

// Every answer of a Session arrives through one of these.
template<typename T> using Reply = std::function<void(Result<T>)>;

// Unauthorized: the server refused the token; nothing more is tried until a new one is given.
enum class ConnectionState { Connected, Reconnecting, Offline, Unauthorized };

// What one kind of session can do that another cannot; widgets ask, never which kind they have.
enum class Capability {
    ServiceSettings, // the service's own settings (listener, tokens, slots, RunPod) are edited here
    LocalFiles,      // a job's files are on this machine (its folder can be shown)
};

struct BackendInfo
{
    model::Backend backend = model::Backend::Local;
    bool available = false;
    QString reason; // what to configure while it is not available
    int slots = 0;
    int running = 0;
};

// The facts the status bar and the New job dialog show.
struct ServiceStatus
{
    QHash<model::JobStatus, int> counts;
    QList<BackendInfo> backends; // every backend, available or not
    QStringList profiles;        // the local runner's profiles a job may name
};

struct RunPodHealth
{
    bool configured = false;
    QString error; // the last health call failed: why
    int running = 0;
    int idle = 0;
    int queued = 0;
};

// Where a job's log stands: its last seq (lines are 1..lastSeq, gapless) and, when levels were
// asked for, the seqs of the lines at those levels up to lastSeq, in order.
struct LogIndex
{
    qint64 lastSeq = 0;
    QList<qint64> seqs;
};

// One node of the service (DESIGN §7): several share a PostgreSQL database, a SQLite one has one.
struct NodeStatus
{
    QString id;
    QString address;
    QString version;
    QDateTime startedAt;
    QDateTime heartbeatAt;     // invalid: the node stopped on purpose
    qint64 heartbeatAgeS = -1; // by the database's clock; -1 unknown
    bool alive = false;
    bool leader = false;
    QHash<model::Backend, int> running; // jobs starting, running or cancelling on it, per backend
};
// Fills in what the store and the API give the same way: the heartbeat's age at the database's
// time `now`, and the jobs per backend name (unknown names are left out).
void completeNode(NodeStatus &node, const QDateTime &now, const QHash<QString, int> &jobsPerBackend);

// How many lines of a log match a search, and how many of those are at or before a given line: a
// match at that line is match `rank` of `count` ("3 of 41").
struct LogMatchCount
{
    qint64 count = 0;
    qint64 rank = 0;
};

// The boundary between the window and a Crawldeck service (DESIGN §11): LocalSession over the core
// of this process, RemoteSession over the HTTP API. Every call is asynchronous in form: `done` is
// called exactly once, either before the call returns (an answer at hand) or later from the event
// loop, and never after `context` was destroyed. Callers must handle both.
//
// The change feed is the signals: a job's lines are announced once each, in seq order, after they
// are durable.
class Session : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Session)
public:
    using QObject::QObject;

    virtual ConnectionState connectionState() const = 0;
    virtual bool can(Capability capability) const = 0;

    // Jobs, newest first, as GET /api/jobs pages them (filter.beforeId pages on).
    virtual void jobs(const model::JobFilter &filter, QObject *context, Reply<QList<model::Job>> done) = 0;
    virtual void job(const QString &id, QObject *context, Reply<model::Job> done) = 0;
    // The attempts made as retries of a job.
    virtual void retriesOf(const QString &id, QObject *context, Reply<QList<model::Job>> done) = 0;
    // What create() would refuse a spec for (backend off, params the profile does not take); stores
    // nothing. jobs::fromJson is the rest of the validation, on the caller's side.
    virtual void validate(const model::JobSpec &spec, QObject *context, Reply<Ok> done) = 0;
    virtual void create(const model::JobSpec &spec, QObject *context, Reply<model::Job> done) = 0;
    virtual void cancel(const QString &id, QObject *context, Reply<model::Job> done) = 0;
    virtual void retry(const QString &id, QObject *context, Reply<model::Job> done) = 0;
    // A new job from an old job's spec.
    void clone(const QString &id, QObject *context, Reply<model::Job> done);

    virtual void logIndex(const QString &jobId, const QList<model::LogLevel> &levels, QObject *context,
                          Reply<LogIndex> done) = 0;
    // Lines after query.after, at query.levels, containing query.text, at most query.limit.
    virtual void logLines(const store::LogQuery &query, QObject *context, Reply<model::LogLines> done) = 0;
    // The seq of the first line after (forward) or before `fromSeq` containing `text`
    // (case-insensitive), at `levels` when given; 0 when there is none.
    virtual void findInLog(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                           const QList<model::LogLevel> &levels, QObject *context, Reply<qint64> done) = 0;
    // How many lines (at `levels` when given) contain `text`, case-insensitive as findInLog, and
    // the rank of line `atSeq` among them; counted by the service whatever the log's length.
    virtual void countInLog(const QString &jobId, const QString &text, const QList<model::LogLevel> &levels,
                            qint64 atSeq, QObject *context, Reply<LogMatchCount> done) = 0;

    virtual void artifacts(const QString &jobId, QObject *context, Reply<QList<model::Artifact>> done) = 0;
    // A local file holding the artifact, to open or copy (a remote session downloads it first and
    // reports artifactFetchProgress meanwhile).
    virtual void fetchArtifact(const QString &jobId, const QString &name, QObject *context, Reply<QString> done) = 0;
    // The folder on this machine with the job's files; empty when there is none.
    virtual QString jobFolder(const QString &jobId) const = 0;

    virtual void status(QObject *context, Reply<ServiceStatus> done) = 0;
    virtual void runpodHealth(QObject *context, Reply<RunPodHealth> done) = 0;
    // The nodes of the service, by id; a single node lists itself (or nothing, when it keeps no
    // node table). Cheap enough to ask every few seconds.
    virtual void nodes(QObject *context, Reply<QList<NodeStatus>> done) = 0;
    // The URL a worker that runs elsewhere posts the job's log lines to (it carries the job's
    // token); empty when this session may not know it.
    virtual void callbackUrl(const QString &jobId, QObject *context, Reply<QString> done) = 0;

    // The spec a job was created from (what clone() submits again).
    static model::JobSpec specOf(const model::Job &job);

Q_SIGNALS:
    void jobAdded(const cd::model::Job &job);
    void jobChanged(const cd::model::Job &job);
    void jobRemoved(const QString &jobId);
    // A job reached a terminal status.
    void jobFinished(const cd::model::Job &job);
    // A job's log grew to `lastSeq`; `lines` are the new lines when the session has them (a
    // session may announce the seq alone).
    void logAppended(const QString &jobId, qint64 lastSeq, const cd::model::LogLines &lines);
    void connectionStateChanged(cd::session::ConnectionState state);
    // A result the service downloads into a job's artifacts (RunPod results); `total` -1 = unknown.
    void resultDownloadProgress(const QString &jobId, const QString &name, qint64 received, qint64 total);
    void resultDownloadFinished(const QString &jobId, const QString &name, bool ok);
    // fetchArtifact() under way.
    void artifactFetchProgress(const QString &jobId, const QString &name, qint64 received, qint64 total);
};

} // namespace cd::session
