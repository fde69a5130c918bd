#include "remotesession.h"

#include "client/artifactdownload.h"
#include "client/ssereader.h"
#include "runpodhealth.h"
#include "scheduler/scheduler.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QStandardPaths>
#include <QTimer>

#include <algorithm>
#include <memory>

namespace cd::session {

using client::ClientError;
using client::ClientResult;
using client::SseEvent;
using client::SseReader;

namespace {

QString levelList(const QList<model::LogLevel> &levels)
{
    QStringList out;
    for (auto l : levels)
        out << model::toString(l);
    return out.join(u',');
}

// Runs a client call and hands its answer, converted, to `done` while `context` lives.
template<typename T, typename U, typename Convert>
void deliver(QCoro::Task<ClientResult<U>> task, QObject *context, Reply<T> done, Convert convert)
{
    QCoro::connect(std::move(task), context,
                   [done = std::move(done), convert = std::move(convert)](const ClientResult<U> &r) {
                       if (!r)
                           return done(RemoteSession::toError(r.error()));
                       done(convert(r.value()));
                   });
}

template<typename T> T same(const T &value)
{
    return value;
}

} // namespace

RemoteSession::RemoteSession(client::ClientConfig config, QObject *parent)
    : Session(parent), m_client(new client::ApiClient(std::move(config), this))
{}

RemoteSession::~RemoteSession() = default;

QString RemoteSession::encoded(const QString &segment)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(segment));
}

Error RemoteSession::toError(const ClientError &error)
{
    using Code = Error::Code;
    if (error.kind != ClientError::Kind::Http)
        return Error::make(error.kind == ClientError::Kind::Network || error.kind == ClientError::Kind::Timeout
                               ? Code::Unavailable
                               : Code::Internal,
                           error.describe());
    Code code = Code::Internal;
    switch (error.status) {
    case 400: code = Code::InvalidArgument; break;
    case 401: code = Code::Unauthorized; break;
    case 403: code = Code::Forbidden; break;
    case 404: code = Code::NotFound; break;
    case 405: code = Code::MethodNotAllowed; break;
    case 409: code = Code::Conflict; break;
    case 413: code = Code::PayloadTooLarge; break;
    case 415: code = Code::UnsupportedMedia; break;
    case 422: code = Code::Unprocessable; break;
    case 429: code = Code::TooManyRequests; break;
    case 503: code = Code::Unavailable; break;
    default: break;
    }
    // The server's own words: the window shows them as a local refusal would read.
    return Error::make(code, error.detail.isEmpty() ? error.describe() : error.detail);
}

void RemoteSession::start()
{
    if (m_events)
        return;
    m_events = new SseReader(m_client, QStringLiteral("/api/events"), this);
    connect(m_events, &SseReader::stateChanged, this, [this](SseReader::State s) {
        switch (s) {
        case SseReader::State::Connected:
            setState(ConnectionState::Connected);
            // Events are not replayed: what changed while the stream was down is read instead.
            if (std::exchange(m_wasConnected, true))
                refresh();
            break;
        case SseReader::State::Failed: break; // failed() says why
        case SseReader::State::Finished: setState(ConnectionState::Offline); break;
        default: setState(ConnectionState::Reconnecting); break;
        }
    });
    connect(m_events, &SseReader::failed, this, [this](const ClientError &e) {
        qCWarning(lcSession).noquote() << "the server's event stream ended:" << e.describe();
        m_lastError = e.describe();
        // A refused token is not a network problem: the window asks for another one.
        setState(e.kind == ClientError::Kind::Http && e.status == 401 ? ConnectionState::Unauthorized
                                                                      : ConnectionState::Offline);
    });
    connect(m_events, &SseReader::event, this, &RemoteSession::onEvent);
    m_events->start();
}

void RemoteSession::setToken(const QByteArray &token)
{
    m_client->setToken(token);
    m_lastError.clear();
    // The feed starts over with the new token; the window reads everything again once it is up.
    if (m_events) {
        disconnect(m_events, nullptr, this, nullptr);
        m_events->stop();
        m_events->deleteLater();
        m_events = nullptr;
    }
    setState(ConnectionState::Reconnecting);
    start();
}

void RemoteSession::setState(ConnectionState state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT connectionStateChanged(state);
}

bool RemoteSession::can(Capability) const
{
    // The server's settings are its own, and its files are on another machine.
    return false;
}

void RemoteSession::onEvent(const SseEvent &event)
{
    if (event.event != u"job")
        return;
    const QJsonObject o = QJsonDocument::fromJson(event.data).object();
    const QString type = o.value(QStringLiteral("type")).toString();
    if (type == u"removed") {
        if (const QString id = o.value(QStringLiteral("job_id")).toString(); !id.isEmpty())
            gone(id);
        return;
    }
    if (type == u"result_download") {
        const QString id = o.value(QStringLiteral("job_id")).toString();
        const QString name = o.value(QStringLiteral("name")).toString();
        if (o.value(QStringLiteral("done")).toBool())
            Q_EMIT resultDownloadFinished(id, name, o.value(QStringLiteral("ok")).toBool());
        else
            Q_EMIT resultDownloadProgress(id, name, o.value(QStringLiteral("received")).toInteger(),
                                          o.value(QStringLiteral("total")).toInteger(-1));
        return;
    }
    const auto job = model::Job::fromJson(o.value(QStringLiteral("job")).toObject());
    if (!job) {
        qCWarning(lcSession).noquote() << "an event with an unreadable job:" << job.error().detail;
        return;
    }
    seen(job.value(), o.value(QStringLiteral("type")).toString() == u"created");
}

void RemoteSession::seen(const model::Job &job, bool created)
{
    m_shown.insert(job.id);
    const auto known = m_known.constFind(job.id);
    const bool wasKnown = known != m_known.cend();
    const bool wasTerminal = wasKnown && model::isTerminal(*known);
    m_known.insert(job.id, job.status);
    if (created && !wasKnown)
        Q_EMIT jobAdded(job);
    else
        Q_EMIT jobChanged(job);
    if (model::isTerminal(job.status) && !wasTerminal)
        Q_EMIT jobFinished(job);
}

void RemoteSession::refresh()
{
    client::JobQuery q;
    q.limit = kRefreshJobs;
    const quint64 generation = ++m_refreshes;
    QCoro::connect(m_client->jobs(q), this, [this, generation](const ClientResult<client::JobPage> &page) {
        if (!page) {
            qCWarning(lcSession).noquote()
                << "jobs could not be read again after a reconnect:" << page.error().describe();
            return;
        }
        // Oldest first, so jobs created meanwhile are added in the order the table shows them.
        for (auto it = page->jobs.crbegin(); it != page->jobs.crend(); ++it) {
            const auto known = m_known.constFind(it->id);
            if (known == m_known.cend() || *known != it->status)
                seen(*it, known == m_known.cend());
            else
                Q_EMIT jobChanged(*it); // progress and summary may have moved on
        }
        QSet<QString> inPage;
        for (const model::Job &j : page->jobs)
            inPage.insert(j.id);
        QStringList older;
        for (const QString &id : std::as_const(m_shown))
            if (!inPage.contains(id))
                older.append(id);
        m_readBack = 0;
        if (!older.isEmpty())
            QCoro::connect(readBack(older, generation), this, [] {});
    });
    for (const QString &id : std::as_const(m_order))
        pump(id);
}

void RemoteSession::remember(const QList<model::Job> &jobs)
{
    for (const model::Job &j : jobs)
        m_shown.insert(j.id);
}

void RemoteSession::gone(const QString &jobId)
{
    const bool shown = m_shown.remove(jobId);
    const bool known = m_known.remove(jobId) > 0;
    if (m_follows.contains(jobId))
        unfollow(jobId);
    if (shown || known)
        Q_EMIT jobRemoved(jobId);
}

QCoro::Task<> RemoteSession::readBack(QStringList ids, quint64 generation)
{
    const QPointer<RemoteSession> self(this);
    // One at a time: a window that scrolled far back must not open hundreds of requests at once.
    for (const QString &id : std::as_const(ids)) {
        const auto r = co_await m_client->job(id);
        if (!self || m_refreshes != generation)
            co_return; // closed, or another reconnect started over
        ++m_readBack;
        if (r) {
            m_shown.insert(id);
            continue;
        }
        if (r.error().kind == ClientError::Kind::Http && r.error().status == 404)
            gone(id);
        else if (r.error().kind != ClientError::Kind::Http)
            co_return; // the server went away again: the next reconnect reads them back
    }
}

void RemoteSession::jobs(const model::JobFilter &filter, QObject *context, Reply<QList<model::Job>> done)
{
    client::JobQuery q;
    for (auto s : filter.statuses)
        q.statuses << model::toString(s);
    if (filter.backend)
        q.backend = model::toString(*filter.backend);
    q.text = filter.text;
    q.limit = filter.limit;
    q.before = filter.beforeId;
    deliver<QList<model::Job>>(m_client->jobs(q), context, std::move(done),
                               [self = QPointer<RemoteSession>(this)](const client::JobPage &p) {
                                   if (self)
                                       self->remember(p.jobs);
                                   return p.jobs;
                               });
}

void RemoteSession::job(const QString &id, QObject *context, Reply<model::Job> done)
{
    deliver<model::Job>(m_client->job(id), context, std::move(done), same<model::Job>);
}

void RemoteSession::retriesOf(const QString &id, QObject *context, Reply<QList<model::Job>> done)
{
    // The API has no query by retry_of: the newest jobs are searched (retries follow their job closely).
    client::JobQuery q;
    q.limit = model::JobFilter::kMaxLimit;
    deliver<QList<model::Job>>(m_client->jobs(q), context, std::move(done), [id](const client::JobPage &p) {
        QList<model::Job> out;
        for (auto it = p.jobs.crbegin(); it != p.jobs.crend(); ++it)
            if (it->retryOf == id)
                out.append(*it);
        return out;
    });
}

void RemoteSession::validate(const model::JobSpec &spec, QObject *context, Reply<Ok> done)
{
    // What the server says about its backends; the rest of its checks answer the create itself.
    const model::Backend backend = spec.backend;
    deliver<Ok>(m_client->health(), context, std::move(done), [backend](const client::Health &h) -> Result<Ok> {
        if (!h.raw.value(QStringLiteral("backends")).toObject().contains(model::toString(backend)))
            return Error::make(Error::Code::Unavailable, scheduler::Scheduler::notConfiguredMessage(backend));
        return Ok{};
    });
}

void RemoteSession::create(const model::JobSpec &spec, QObject *context, Reply<model::Job> done)
{
    deliver<model::Job>(m_client->createJob(spec), context, std::move(done),
                        [](const client::CreatedJob &c) { return c.job; });
}

void RemoteSession::cancel(const QString &id, QObject *context, Reply<model::Job> done)
{
    deliver<model::Job>(m_client->cancelJob(id), context, std::move(done), same<model::Job>);
}

void RemoteSession::retry(const QString &id, QObject *context, Reply<model::Job> done)
{
    deliver<model::Job>(m_client->retryJob(id), context, std::move(done), same<model::Job>);
}

void RemoteSession::logIndex(const QString &jobId, const QList<model::LogLevel> &levels, QObject *context,
                             Reply<LogIndex> done)
{
    // Followed from where the index ends: the stream brings every later line (the session's own
    // context, so following starts even when the caller has gone).
    QCoro::connect(
        readIndex(jobId, levels), this,
        [this, jobId, context = QPointer<QObject>(context), done = std::move(done)](const ClientResult<LogIndex> &r) {
            if (!r) {
                if (context)
                    done(toError(r.error()));
                return;
            }
            follow(jobId, r->lastSeq);
            if (context)
                done(r.value());
        });
}

QCoro::Task<ClientResult<LogIndex>> RemoteSession::readIndex(QString jobId, QList<model::LogLevel> levels)
{
    const QPointer<RemoteSession> self(this);
    const QString path = QStringLiteral("/api/jobs/%1/logs/index").arg(encoded(jobId));
    LogIndex index;
    qint64 after = 0;
    for (bool first = true;; first = false) {
        QUrlQuery q;
        if (!levels.isEmpty())
            q.addQueryItem(QStringLiteral("level"), levelList(levels));
        q.addQueryItem(QStringLiteral("after"), QString::number(after));
        q.addQueryItem(QStringLiteral("limit"), QString::number(m_indexPage));
        const auto r = co_await m_client->getObject(path, q);
        if (!self)
            co_return ClientError{ClientError::Kind::Cancelled, 0, {}, QStringLiteral("the window was closed")};
        if (!r)
            co_return r.error();
        // The log as the first page saw it: later pages may see it longer, and what is past its end
        // arrives on the stream instead.
        if (first)
            index.lastSeq = r->value(QStringLiteral("last_seq")).toInteger();
        bool past = false;
        const QJsonArray seqs = r->value(QStringLiteral("seqs")).toArray();
        for (const auto &v : seqs) {
            const qint64 seq = v.toInteger();
            if (seq <= after)
                co_return ClientError{
                    ClientError::Kind::BadResponse,
                    0,
                    {},
                    QStringLiteral("the log index of %1 is out of order at seq %2").arg(jobId).arg(seq)};
            if (seq > index.lastSeq) {
                past = true;
                break;
            }
            index.seqs.append(seq);
            after = seq;
        }
        if (past || !r->value(QStringLiteral("has_more")).toBool())
            co_return index;
        const qint64 next = r->value(QStringLiteral("next_after")).toInteger();
        if (seqs.isEmpty() || next < after)
            co_return ClientError{
                ClientError::Kind::BadResponse,
                0,
                {},
                QStringLiteral("the log index of %1 does not move on from seq %2").arg(jobId).arg(next)};
        after = next;
    }
}

void RemoteSession::logLines(const store::LogQuery &query, QObject *context, Reply<model::LogLines> done)
{
    client::LogQuery q;
    q.after = query.after;
    q.limit = query.limit;
    for (auto l : query.levels)
        q.levels << model::toString(l);
    q.text = query.text;
    deliver<model::LogLines>(m_client->logs(query.jobId, q), context, std::move(done),
                             [](const client::LogPage &p) { return p.lines; });
}

void RemoteSession::findInLog(const QString &jobId, qint64 fromSeq, const QString &text, bool forward,
                              const QList<model::LogLevel> &levels, QObject *context, Reply<qint64> done)
{
    if (text.isEmpty()) {
        // As the server would refuse it; answered later all the same.
        QMetaObject::invokeMethod(
            context, [done] { done(qint64(0)); }, Qt::QueuedConnection);
        return;
    }
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("from"), QString::number(std::max<qint64>(0, fromSeq)));
    q.addQueryItem(QStringLiteral("dir"), forward ? QStringLiteral("next") : QStringLiteral("prev"));
    q.addQueryItem(QStringLiteral("q"), encoded(text));
    if (!levels.isEmpty())
        q.addQueryItem(QStringLiteral("level"), levelList(levels));
    deliver<qint64>(m_client->getObject(QStringLiteral("/api/jobs/%1/logs/find").arg(encoded(jobId)), q), context,
                    std::move(done), [](const QJsonObject &o) { return o.value(QStringLiteral("seq")).toInteger(); });
}

void RemoteSession::countInLog(const QString &jobId, const QString &text, const QList<model::LogLevel> &levels,
                               qint64 atSeq, QObject *context, Reply<LogMatchCount> done)
{
    if (text.isEmpty()) {
        // As the server would refuse it; answered later all the same.
        QMetaObject::invokeMethod(
            context, [done] { done(LogMatchCount{}); }, Qt::QueuedConnection);
        return;
    }
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("q"), encoded(text));
    if (!levels.isEmpty())
        q.addQueryItem(QStringLiteral("level"), levelList(levels));
    if (atSeq > 0)
        q.addQueryItem(QStringLiteral("at"), QString::number(atSeq));
    deliver<LogMatchCount>(m_client->getObject(QStringLiteral("/api/jobs/%1/logs/count").arg(encoded(jobId)), q),
                           context, std::move(done), [](const QJsonObject &o) {
                               return LogMatchCount{o.value(QStringLiteral("count")).toInteger(),
                                                    o.value(QStringLiteral("rank")).toInteger()};
                           });
}

void RemoteSession::artifacts(const QString &jobId, QObject *context, Reply<QList<model::Artifact>> done)
{
    deliver<QList<model::Artifact>>(m_client->artifacts(jobId), context, std::move(done), same<QList<model::Artifact>>);
}

QString RemoteSession::cacheDir() const
{
    // One folder per server, so two servers' job ids never share one.
    const QByteArray server = m_client->config().baseUrl.toString(QUrl::RemoveUserInfo).toUtf8();
    const QString root = m_cacheRoot.isEmpty() ? QStandardPaths::writableLocation(QStandardPaths::CacheLocation) +
                                                     QStringLiteral("/artifacts")
                                               : m_cacheRoot;
    return root + u'/' +
           QString::fromLatin1(QCryptographicHash::hash(server, QCryptographicHash::Sha1).toHex().left(16));
}

void RemoteSession::fetchArtifact(const QString &jobId, const QString &name, QObject *context, Reply<QString> done)
{
    deliver<QString>(download(jobId, name), context, std::move(done), same<QString>);
}

QCoro::Task<ClientResult<QString>> RemoteSession::download(QString jobId, QString name)
{
    const QPointer<RemoteSession> self(this);
    const auto list = co_await m_client->artifacts(jobId);
    if (!self)
        co_return ClientError{ClientError::Kind::Cancelled, 0, {}, QStringLiteral("the window was closed")};
    if (!list)
        co_return list.error();
    const auto found =
        std::find_if(list->cbegin(), list->cend(), [&](const model::Artifact &a) { return a.name == name; });
    // A name from the server must stay inside the job's cache folder.
    const QString clean = QDir::cleanPath(name);
    if (found == list->cend() || clean.startsWith(QStringLiteral("../")) || clean == u".." ||
        QDir::isAbsolutePath(clean))
        co_return ClientError{ClientError::Kind::Http, 404, QStringLiteral("not_found"),
                              QStringLiteral("job %1 has no artifact named %2").arg(jobId, name)};
    const QString path = cacheDir() + u'/' + encoded(jobId) + u'/' + clean;
    // Only a download whose size and sha256 matched is ever renamed to its name.
    if (QFileInfo(path).isFile() && QFileInfo(path).size() == found->size)
        co_return path;
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        co_return ClientError{
            ClientError::Kind::Io, 0, {}, QStringLiteral("cannot create %1").arg(QFileInfo(path).absolutePath())};
    auto dl = std::make_unique<client::ArtifactDownload>(m_client, *found, path);
    connect(dl.get(), &client::ArtifactDownload::progress, this, [this, jobId, name](qint64 received, qint64 total) {
        Q_EMIT artifactFetchProgress(jobId, name, received, total);
    });
    const auto r = co_await dl->run();
    if (!self)
        co_return ClientError{ClientError::Kind::Cancelled, 0, {}, QStringLiteral("the window was closed")};
    if (!r)
        co_return r.error();
    co_return path;
}

void RemoteSession::status(QObject *context, Reply<ServiceStatus> done)
{
    deliver<ServiceStatus>(serviceStatus(), context, std::move(done), same<ServiceStatus>);
}

QCoro::Task<ClientResult<ServiceStatus>> RemoteSession::serviceStatus()
{
    const QPointer<RemoteSession> self(this);
    const auto health = co_await m_client->health();
    if (!self)
        co_return ClientError{ClientError::Kind::Cancelled, 0, {}, QStringLiteral("the window was closed")};
    if (!health)
        co_return health.error();
    const auto profiles = co_await m_client->getObject(QStringLiteral("/api/profiles"));
    if (!self)
        co_return ClientError{ClientError::Kind::Cancelled, 0, {}, QStringLiteral("the window was closed")};
    if (!profiles)
        co_return profiles.error();
    ServiceStatus st;
    const QJsonObject counts = health->raw.value(QStringLiteral("jobs")).toObject();
    for (auto s : model::allStatuses())
        st.counts.insert(s, counts.value(model::toString(s)).toInt());
    const QJsonObject backends = health->raw.value(QStringLiteral("backends")).toObject();
    for (auto b : model::allBackends()) {
        const QJsonObject o = backends.value(model::toString(b)).toObject();
        const bool on = backends.contains(model::toString(b));
        st.backends.append({b, on, on ? QString() : scheduler::Scheduler::notConfiguredMessage(b),
                            o.value(QStringLiteral("slots")).toInt(), o.value(QStringLiteral("running")).toInt()});
    }
    for (const auto &v : profiles->value(QStringLiteral("profiles")).toArray())
        st.profiles << v.toString();
    co_return st;
}

void RemoteSession::runpodHealth(QObject *context, Reply<RunPodHealth> done)
{
    // The server asks RunPod (at most every few seconds, however many windows ask it).
    deliver<RunPodHealth>(
        m_client->getObject(QStringLiteral("/api/runpod/health")), context, std::move(done),
        [](const QJsonObject &o) { return runpodHealthFrom(runners::RunPodHealthSnapshot::fromJson(o)); });
}

void RemoteSession::nodes(QObject *context, Reply<QList<NodeStatus>> done)
{
    deliver<QList<NodeStatus>>(m_client->nodeList(), context, std::move(done), [](const client::NodeList &list) {
        QList<NodeStatus> out;
        for (const client::Node &n : list.nodes) {
            NodeStatus s{n.id, n.address, n.version, n.startedAt, n.heartbeatAt, -1, n.alive, n.leader, {}};
            completeNode(s, list.now, n.jobs);
            out.append(s);
        }
        return out;
    });
}

void RemoteSession::callbackUrl(const QString &jobId, QObject *context, Reply<QString> done)
{
    // The job as the server shows it to an API token holder carries it.
    deliver<QString>(m_client->getObject(QStringLiteral("/api/jobs/%1").arg(encoded(jobId))), context, std::move(done),
                     [](const QJsonObject &o) { return o.value(QStringLiteral("callback_url")).toString(); });
}

} // namespace cd::session
