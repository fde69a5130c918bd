#include "ssehub.h"

#include "common/logging.h"
#include "feed/changefeed.h"
#include "guardedtcpserver.h"
#include "store/jobstore.h"
#include "store/logstore.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace cd::http {

using model::LogLine;

struct SseHub::Sub
{
    QString jobId;
    qint64 lastSent = 0;
    Reply reply;
    bool caughtUp = false;
    bool ending = false;
    QString lastStatus;
    int lastProgress = -1;
    QMetaObject::Connection drained;
    QMetaObject::Connection gone;
};

namespace {
QByteArray eventFor(const LogLine &l)
{
    QByteArray out = "id: " + QByteArray::number(l.seq) + '\n';
    // A message with embedded line breaks becomes several data: fields (SSE joins them with \n).
    const QByteArray msg = l.message.toUtf8();
    for (const QByteArray &part : msg.split('\n'))
        out += "data: " + QByteArray(part).replace('\r', "") + '\n';
    return out + '\n';
}
} // namespace

SseHub::SseHub(store::JobStore *jobs, store::LogStore *logs, feed::ChangeFeed *feed, QObject *parent)
    : QObject(parent), m_jobs(jobs), m_logs(logs)
{
    connect(feed, &feed::ChangeFeed::linesCommitted, this, &SseHub::onLines);
    connect(feed, &feed::ChangeFeed::jobChanged, this, &SseHub::onJobChanged);
    m_keepalive.setInterval(15000);
    connect(&m_keepalive, &QTimer::timeout, this, [this] {
        for (const auto &subs : std::as_const(m_byJob))
            for (Sub *s : subs)
                if (s->reply.socket() && s->reply.socket()->bytesToWrite() == 0)
                    write(s, QByteArrayLiteral(": keepalive\n\n"));
    });
    m_keepalive.start();
}

SseHub::~SseHub()
{
    const auto all = m_byJob;
    for (const auto &subs : all)
        for (Sub *s : subs)
            remove(s);
}

int SseHub::subscriberCount() const
{
    int n = 0;
    for (const auto &subs : m_byJob)
        n += static_cast<int>(subs.size());
    return n;
}

void SseHub::subscribe(const QString &jobId, qint64 after, Reply &&reply)
{
    const auto job = m_jobs->job(jobId);
    if (!job) {
        reply.error(job.error()); // 404, or 503 when the database cannot be read
        return;
    }
    auto *sub = new Sub{jobId, qMax<qint64>(0, after), std::move(reply), false, false, {}, -1, {}, {}};
    sub->reply.beginStream(QByteArrayLiteral("text/event-stream"),
                           {{QByteArrayLiteral("X-Accel-Buffering"), QByteArrayLiteral("no")}});
    QTcpSocket *socket = sub->reply.socket();
    if (!socket || !sub->reply.alive()) { // gone, or a HEAD request that only wanted the headers
        delete sub;
        return;
    }
    GuardedTcpServer::markStreaming(socket);
    m_byJob[jobId].append(sub);
    sub->gone = connect(socket, &QTcpSocket::disconnected, this, [this, sub] { remove(sub); });
    sub->drained = connect(socket, &QTcpSocket::bytesWritten, this, [this, sub] {
        if (!sub->caughtUp)
            backfill(sub);
    });
    write(sub, QByteArrayLiteral("retry: 3000\n: keepalive\n\n"));
    sendStatus(sub, *job);
    backfill(sub);
}

bool SseHub::write(Sub *sub, const QByteArray &data)
{
    return sub->reply.streamWrite(data);
}

void SseHub::sendStatus(Sub *sub, const model::Job &job)
{
    const QString status = model::toString(job.status);
    if (status == sub->lastStatus && job.progress == sub->lastProgress)
        return;
    sub->lastStatus = status;
    sub->lastProgress = job.progress;
    const QJsonObject o{{QStringLiteral("job_id"), job.id},
                        {QStringLiteral("status"), status},
                        {QStringLiteral("progress"), job.progress},
                        {QStringLiteral("error"), job.error.isEmpty() ? QJsonValue() : QJsonValue(job.error)}};
    write(sub, "event: status\ndata: " + QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n\n");
}

bool SseHub::backfill(Sub *sub)
{
    QTcpSocket *socket = sub->reply.socket();
    if (!socket)
        return true;
    constexpr int kPage = 1000;
    while (socket->bytesToWrite() < m_bufferCap / 2) {
        const auto page = m_logs->page(store::LogQuery{sub->jobId, sub->lastSent, kPage, {}, {}});
        if (!page) {
            // Skipping to live lines would lose the unread ones silently: say why and close; the
            // client resumes after `last_seq` with Last-Event-ID.
            qCWarning(lcHttp) << "log stream of job" << sub->jobId << "closed after line" << sub->lastSent << ":"
                              << page.error().detail;
            const QJsonObject o{{QStringLiteral("error"), errorCodeName(page.error().code)},
                                {QStringLiteral("detail"), page.error().detail},
                                {QStringLiteral("last_seq"), sub->lastSent}};
            write(sub, "event: error\ndata: " + QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n\n");
            disconnect(sub->gone);
            disconnect(sub->drained);
            sub->reply.endStream();
            remove(sub);
            return false;
        }
        const model::LogLines &lines = page.value();
        QByteArray chunk;
        for (const LogLine &l : lines) {
            chunk += eventFor(l);
            sub->lastSent = l.seq;
        }
        if (!chunk.isEmpty())
            write(sub, chunk);
        if (lines.size() < kPage) {
            sub->caughtUp = true;
            break;
        }
    }
    if (sub->caughtUp) {
        const auto job = m_jobs->job(sub->jobId);
        if (job && model::isTerminal(job->status))
            onJobChanged(*job);
    }
    return true;
}

void SseHub::onLines(const QString &jobId, const model::LogLines &lines)
{
    const auto subs = m_byJob.value(jobId);
    for (Sub *sub : subs) {
        if (!sub->caughtUp)
            continue; // it reads the store as its buffer drains
        QByteArray chunk;
        for (const LogLine &l : lines) {
            if (l.seq <= sub->lastSent)
                continue;
            chunk += eventFor(l);
            sub->lastSent = l.seq;
        }
        if (chunk.isEmpty())
            continue;
        write(sub, chunk);
        if (sub->reply.socket() && sub->reply.socket()->bytesToWrite() > m_bufferCap)
            sub->caughtUp = false;
    }
}

void SseHub::onJobChanged(const model::Job &job)
{
    const auto subs = m_byJob.value(job.id);
    for (Sub *sub : subs) {
        sendStatus(sub, job);
        if (model::isTerminal(job.status) && sub->caughtUp && !sub->ending) {
            sub->ending = true;
            // A short grace lets lines written in the same breath as the final status arrive first.
            QTimer::singleShot(m_endGraceMs, this, [this, sub, id = job.id] {
                if (m_byJob.value(id).contains(sub))
                    finish(sub);
            });
        }
    }
}

void SseHub::finish(Sub *sub)
{
    sub->caughtUp = false;
    // Catch up on anything committed meanwhile (bounded by the buffer cap; the rest is the client's
    // to resume with Last-Event-ID).
    if (!backfill(sub))
        return;
    const auto job = m_jobs->job(sub->jobId);
    const QJsonObject o{{QStringLiteral("job_id"), sub->jobId},
                        {QStringLiteral("status"), job ? model::toString(job->status) : QString()},
                        {QStringLiteral("last_seq"), sub->lastSent}};
    write(sub, "event: end\ndata: " + QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n\n");
    // Closing may emit disconnected() at once: detach first so only this call removes the subscriber.
    disconnect(sub->gone);
    disconnect(sub->drained);
    sub->reply.endStream();
    remove(sub);
}

void SseHub::remove(Sub *sub)
{
    auto it = m_byJob.find(sub->jobId);
    if (it == m_byJob.end() || !it->removeOne(sub))
        return;
    if (it->isEmpty())
        m_byJob.erase(it);
    disconnect(sub->drained);
    disconnect(sub->gone);
    delete sub;
}

} // namespace cd::http
