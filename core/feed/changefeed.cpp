#include "changefeed.h"

#include "store/database.h"
#include "store/jobstore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

Q_LOGGING_CATEGORY(lcFeed, "crawldeck.feed")

namespace cd::feed {

namespace {
// Jobs whose lines or row may change without this node knowing: the poll looks at these.
const QString kPollSql = QStringLiteral("SELECT id, log_count, updated_at, created_at FROM jobs "
                                        "WHERE updated_at >= ? OR status IN ('starting', 'running', 'cancelling')");
// Other nodes' clocks may run behind ours: look back this far for changed rows.
constexpr qint64 kPollWindowS = 30;
constexpr int kJobNoticeMs = 20; // one NOTIFY per burst of job changes, like the log group commit
} // namespace

ChangeFeed::ChangeFeed(store::JobStore *jobs, store::LogStore *logs, QObject *parent)
    : QObject(parent)
    , m_jobs(jobs)
    , m_logs(logs)
    , m_origin(QUuid::createUuid().toString(QUuid::Id128).left(12))
    , m_startedIso(model::isoUtc(QDateTime::currentDateTimeUtc()))
{
    connect(m_jobs, &store::JobStore::jobAdded, this, [this](const model::Job &j) { onLocalJob(j, true); });
    connect(m_jobs, &store::JobStore::jobChanged, this, [this](const model::Job &j) { onLocalJob(j, false); });
    connect(m_logs, &store::LogStore::rangeCommitted, this, &ChangeFeed::onLocalLines);
    m_jobNotice.setSingleShot(true);
    m_jobNotice.setInterval(kJobNoticeMs);
    connect(&m_jobNotice, &QTimer::timeout, this, &ChangeFeed::sendJobNotice);
    m_poll.setInterval(kPollMs);
    connect(&m_poll, &QTimer::timeout, this, &ChangeFeed::poll);
    m_ping.setInterval(kPingMs);
    connect(&m_ping, &QTimer::timeout, this, &ChangeFeed::ping);
}

ChangeFeed::~ChangeFeed()
{
    m_logs->setCommitNotice({}, {});
}

bool ChangeFeed::listening() const
{
    return m_listen && m_listen->db().driver()->subscribedToNotifications().contains(channel());
}

Status ChangeFeed::connectTo(const QString &location, const QString &node)
{
    if (!store::Database::isPostgres(location))
        return Ok{}; // one process owns a SQLite file: the in-process feed is the whole feed
    auto db = std::make_unique<store::Database>();
    if (auto st = db->open(location, QStringLiteral("crawldeck-feed:") + node); !st)
        return st;
    m_listen = std::move(db);
    m_listenGeneration = m_listen->generation();
    connect(m_listen->db().driver(), &QSqlDriver::notification, this,
            [this](const QString &name, QSqlDriver::NotificationSource, const QVariant &payload) {
                onNotification(name, payload);
            });
    if (!subscribe())
        return Error::make(Error::Code::Unavailable, QStringLiteral("cannot LISTEN on the database: ") +
                                                         m_listen->db().driver()->lastError().text());
    m_logs->setCommitNotice(channel(),
                            [this](const QList<store::LogRange> &ranges) { return payloadFor(ranges, {}, {}); });
    poll(); // the baseline: what exists now was read by whoever subscribes from the store
    m_poll.start();
    m_ping.start();
    return Ok{};
}

bool ChangeFeed::subscribe()
{
    QSqlDriver *driver = m_listen->db().driver();
    if (driver->subscribedToNotifications().contains(channel()))
        driver->unsubscribeFromNotification(channel());
    return driver->subscribeToNotification(channel());
}

QString ChangeFeed::payloadFor(const QList<store::LogRange> &ranges, const QStringList &added,
                               const QStringList &changed) const
{
    QJsonObject o{{QStringLiteral("o"), m_origin}};
    if (!ranges.isEmpty()) {
        QJsonArray l;
        for (const store::LogRange &r : ranges)
            l.append(QJsonArray{r.jobId, r.first, r.last});
        o.insert(QStringLiteral("l"), l);
    }
    if (!added.isEmpty())
        o.insert(QStringLiteral("a"), QJsonArray::fromStringList(added));
    if (!changed.isEmpty())
        o.insert(QStringLiteral("c"), QJsonArray::fromStringList(changed));
    QByteArray json = QJsonDocument(o).toJson(QJsonDocument::Compact);
    if (json.size() > kMaxPayload) // too many jobs in one commit: tell the listeners to poll now
        json = QJsonDocument(QJsonObject{{QStringLiteral("o"), m_origin}, {QStringLiteral("p"), 1}})
                   .toJson(QJsonDocument::Compact);
    return QString::fromUtf8(json);
}

void ChangeFeed::onLocalJob(const model::Job &job, bool added)
{
    m_updatedAt.insert(job.id, model::isoUtc(job.updatedAt));
    if (added && !m_delivered.contains(job.id))
        m_delivered.insert(job.id, 0); // every line of a new job goes out, whoever writes it
    if (added)
        Q_EMIT jobAdded(job);
    else
        Q_EMIT jobChanged(job);
    if (!m_listen)
        return;
    QStringList &ids = added ? m_addedIds : m_changedIds;
    if (!ids.contains(job.id))
        ids.append(job.id);
    if (!m_jobNotice.isActive())
        m_jobNotice.start();
}

void ChangeFeed::sendJobNotice()
{
    if (!m_listen || (m_addedIds.isEmpty() && m_changedIds.isEmpty()))
        return;
    const QString payload = payloadFor({}, m_addedIds, m_changedIds);
    // The change is committed already; this connection only announces it. A notice that fails is
    // made up for by the other nodes' poll.
    if (!m_listen->run(QStringLiteral("SELECT pg_notify(?, ?)"), {channel(), payload}, "announcing job changes"))
        qCWarning(lcFeed) << "could not announce job changes; other nodes see them at their next poll";
    resubscribeAfterReconnect();
    m_addedIds.clear();
    m_changedIds.clear();
}

QStringList ChangeFeed::removalPayloads(const QStringList &ids) const
{
    QStringList out;
    QJsonArray chunk;
    const auto payload = [this](const QJsonArray &r) {
        return QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("o"), m_origin}, {QStringLiteral("r"), r}})
                                     .toJson(QJsonDocument::Compact));
    };
    qsizetype size = payload({}).size();
    for (const QString &id : ids) {
        const qsizetype more = id.toUtf8().size() + 3; // quotes and comma; ids are plain ASCII
        if (!chunk.isEmpty() && size + more > kMaxPayload) {
            out.append(payload(chunk));
            chunk = {};
            size = payload({}).size();
        }
        chunk.append(id);
        size += more;
    }
    if (!chunk.isEmpty())
        out.append(payload(chunk));
    return out;
}

void ChangeFeed::publishRemoved(const QStringList &ids)
{
    for (const QString &id : ids)
        removed(id);
    if (!m_listen || ids.isEmpty())
        return;
    for (const QString &payload : removalPayloads(ids))
        if (!m_listen->run(QStringLiteral("SELECT pg_notify(?, ?)"), {channel(), payload}, "announcing deleted jobs"))
            qCWarning(lcFeed) << "could not announce deleted jobs; other nodes' windows keep them until read again";
    resubscribeAfterReconnect();
}

void ChangeFeed::removed(const QString &id)
{
    m_delivered.remove(id);
    m_updatedAt.remove(id);
    m_addedIds.removeAll(id);
    m_changedIds.removeAll(id);
    Q_EMIT jobRemoved(id);
}

void ChangeFeed::onLocalLines(const QString &jobId, const model::LogLines &lines)
{
    if (lines.isEmpty())
        return;
    const qint64 have = deliveredBefore(jobId, lines.first().seq);
    if (lines.first().seq > have + 1) {
        // Another node's lines come first; the store has them (they committed before ours).
        deliverUpTo(jobId, lines.last().seq);
        return;
    }
    if (lines.first().seq > have) {
        emitLines(jobId, lines);
        return;
    }
    model::LogLines fresh;
    for (const model::LogLine &l : lines)
        if (l.seq > have)
            fresh.append(l);
    emitLines(jobId, fresh);
}

qint64 ChangeFeed::deliveredBefore(const QString &jobId, qint64 first)
{
    if (const auto it = m_delivered.constFind(jobId); it != m_delivered.cend())
        return it.value();
    // First news of this job. One created since this feed started: every line of it goes out,
    // whichever node wrote it (another node's may not have been announced yet). An older one:
    // subscribers read what was there from the store when they subscribed.
    const auto job = m_jobs->job(jobId);
    const qint64 base = job && model::isoUtc(job->createdAt) >= m_startedIso ? 0 : first - 1;
    m_delivered.insert(jobId, base);
    return base;
}

void ChangeFeed::emitLines(const QString &jobId, const model::LogLines &lines)
{
    if (lines.isEmpty())
        return;
    m_delivered.insert(jobId, lines.last().seq);
    Q_EMIT linesCommitted(jobId, lines);
}

void ChangeFeed::deliverUpTo(const QString &jobId, qint64 last)
{
    constexpr int kPage = 10000;
    qint64 have = m_delivered.value(jobId, 0);
    while (have < last) {
        const auto lines = m_logs->committedLines(store::LogQuery{jobId, have, kPage, {}, {}});
        if (lines.isEmpty())
            break; // not visible yet (or the read failed): the next notice or poll retries
        model::LogLines upTo;
        for (const model::LogLine &l : lines)
            if (l.seq <= last)
                upTo.append(l);
        emitLines(jobId, upTo);
        if (upTo.size() < lines.size() || lines.size() < kPage)
            break;
        have = m_delivered.value(jobId);
    }
}

void ChangeFeed::onNotification(const QString &name, const QVariant &payload)
{
    if (name != channel())
        return;
    ++m_notifications;
    const QJsonObject o = QJsonDocument::fromJson(payload.toString().toUtf8()).object();
    if (o.value(QStringLiteral("o")).toString() == m_origin)
        return; // our own commit, delivered in process already
    if (o.contains(QStringLiteral("p"))) {
        poll();
        return;
    }
    for (const QJsonValue &id : o.value(QStringLiteral("r")).toArray()) {
        if (id.toString().isEmpty())
            continue;
        m_jobs->forget(id.toString()); // deleted by the leader: nothing cached here may answer for it
        removed(id.toString());
    }
    for (const QJsonValue &id : o.value(QStringLiteral("a")).toArray())
        remoteJob(id.toString(), true);
    for (const QJsonValue &id : o.value(QStringLiteral("c")).toArray())
        remoteJob(id.toString(), false);
    for (const QJsonValue &v : o.value(QStringLiteral("l")).toArray()) {
        const QJsonArray r = v.toArray();
        const QString jobId = r.at(0).toString();
        const qint64 first = r.at(1).toInteger();
        const qint64 last = r.at(2).toInteger();
        if (jobId.isEmpty() || first < 1 || last < first)
            continue;
        deliveredBefore(jobId, first);
        deliverUpTo(jobId, last);
    }
}

void ChangeFeed::remoteJob(const QString &id, bool added)
{
    const auto job = m_jobs->job(id);
    if (!job)
        return;
    const QString stamp = model::isoUtc(job->updatedAt);
    const bool seen = m_updatedAt.contains(id);
    if (seen && m_updatedAt.value(id) == stamp)
        return;
    m_updatedAt.insert(id, stamp);
    if (added && !m_delivered.contains(id))
        m_delivered.insert(id, 0);
    if (added && !seen)
        Q_EMIT jobAdded(*job);
    else
        Q_EMIT jobChanged(*job);
}

void ChangeFeed::poll()
{
    if (!m_listen)
        return;
    const QString since = model::isoUtc(QDateTime::currentDateTimeUtc().addSecs(-kPollWindowS));
    auto q = m_listen->run(kPollSql, {since}, "polling for changes");
    if (!q) {
        reopen();
        return;
    }
    if (resubscribeAfterReconnect())
        return poll();
    struct Row
    {
        QString id;
        qint64 logCount;
        QString updatedAt;
        bool fresh; // created after this feed started
    };
    QList<Row> rows;
    while (q.value().next())
        rows.append(Row{q.value().value(0).toString(), q.value().value(1).toLongLong(), q.value().value(2).toString(),
                        q.value().value(3).toString() >= m_startedIso});
    q.value().finish();
    const bool baseline = !m_baselined;
    m_baselined = true;
    for (const Row &r : std::as_const(rows)) {
        const bool known = m_updatedAt.contains(r.id);
        if (!m_delivered.contains(r.id))
            m_delivered.insert(r.id, baseline || !r.fresh ? r.logCount : 0);
        if (baseline || (!known && !r.fresh)) {
            if (!known)
                m_updatedAt.insert(r.id, r.updatedAt);
        } else if (m_updatedAt.value(r.id) != r.updatedAt) {
            remoteJob(r.id, !known);
        }
        if (r.logCount > m_delivered.value(r.id))
            deliverUpTo(r.id, r.logCount);
    }
}

void ChangeFeed::ping()
{
    if (!m_listen)
        return;
    auto q = m_listen->run(QStringLiteral("SELECT 1 FROM pg_listening_channels() c WHERE c = ?"), {channel()},
                           "checking the LISTEN connection");
    if (!q) {
        reopen();
        return;
    }
    if (resubscribeAfterReconnect())
        return poll();
    if (!q.value().next()) {
        qCWarning(lcFeed) << "the database forgot our LISTEN; listening again";
        subscribe();
        poll();
    }
}

void ChangeFeed::reopen()
{
    m_listen->reconnectIfLost();
    if (resubscribeAfterReconnect())
        poll();
    // else still down (or up after all): the next poll tries again
}

bool ChangeFeed::resubscribeAfterReconnect()
{
    // Database::run reopens a lost connection by itself; the new backend knows nothing of our LISTEN.
    if (m_listen->generation() == m_listenGeneration)
        return false;
    m_listenGeneration = m_listen->generation();
    ++m_reconnects;
    qCInfo(lcFeed) << "LISTEN connection reopened";
    if (!subscribe())
        qCWarning(lcFeed) << "cannot LISTEN after reconnecting:" << m_listen->db().driver()->lastError().text();
    return true;
}

} // namespace cd::feed
