#include "artifactdownload.h"

#include "apiclient.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>

#include <QCoro/QCoroNetworkReply>
#include <QCoro/QCoroTimer>

#include <chrono>
#include <memory>

namespace cd::client {

using Kind = ClientError::Kind;

namespace {
ClientError ioError(const QFile &f)
{
    return ClientError{Kind::Io, 0, {}, QStringLiteral("%1: %2").arg(f.fileName(), f.errorString())};
}

QString encodedPath(const QString &name)
{
    QStringList parts;
    for (const QString &p : name.split(u'/'))
        parts << QString::fromLatin1(QUrl::toPercentEncoding(p));
    return parts.join(u'/');
}
} // namespace

ArtifactDownload::ArtifactDownload(ApiClient *client, model::Artifact artifact, QString filePath, QObject *parent)
    : QObject(parent), m_client(client), m_artifact(std::move(artifact)), m_path(std::move(filePath))
{}

ClientResult<qint64> ArtifactDownload::finish(qint64 transferred)
{
    QFile part(partPath(m_path));
    if (!part.open(QIODevice::ReadOnly))
        return ioError(part);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&part);
    const qint64 size = part.size();
    part.close();
    const QString sha = QString::fromLatin1(hash.result().toHex());
    if (size != m_artifact.size || (!m_artifact.sha256.isEmpty() && sha != m_artifact.sha256)) {
        // A part file that does not add up cannot be resumed either.
        QFile::remove(part.fileName());
        return ClientError{Kind::Integrity,
                           0,
                           {},
                           QStringLiteral("%1: got %2 bytes with sha256 %3, the server lists %4 bytes with sha256 %5")
                               .arg(m_artifact.name)
                               .arg(size)
                               .arg(sha)
                               .arg(m_artifact.size)
                               .arg(m_artifact.sha256)};
    }
    QFile::remove(m_path);
    if (!part.rename(m_path))
        return ioError(part);
    return transferred;
}

QCoro::Task<ClientResult<qint64>> ArtifactDownload::run()
{
    const QPointer<ArtifactDownload> self(this);
    const auto cancelled = ClientError{Kind::Cancelled, 0, {}, QStringLiteral("the download was abandoned")};
    if (!m_client)
        co_return cancelled;
    const ClientConfig config = m_client->config();
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QFile part(partPath(m_path));
    qint64 transferred = 0;
    ClientError last;
    for (int attempt = 0; attempt < config.maxAttempts; ++attempt) {
        int delayMs = 0;
        {
            if (!part.open(QIODevice::ReadWrite | QIODevice::Append))
                co_return ioError(part);
            qint64 offset = part.size();
            if (offset > m_artifact.size) { // not this artifact's beginning
                part.resize(0);
                offset = 0;
            }
            if (offset == m_artifact.size && offset > 0) {
                part.close();
                co_return finish(transferred);
            }
            QNetworkRequest req = m_client->request(
                m_client->url(QStringLiteral("/api/jobs/%1/artifacts/")
                                  .arg(QString::fromLatin1(QUrl::toPercentEncoding(m_artifact.jobId))) +
                              encodedPath(m_artifact.name)));
            req.setRawHeader("Accept", "*/*");
            if (offset > 0)
                req.setRawHeader("Range", "bytes=" + QByteArray::number(offset) + '-');
            m_resumedFrom = offset;
            std::unique_ptr<QNetworkReply> reply(m_client->network()->get(req));
            const QPointer<QNetworkReply> alive(reply.get());
            int status = 0;
            bool writeFailed = false;
            bool restarted = false;
            connect(reply.get(), &QNetworkReply::readyRead, this, [&] {
                if (status == 0) {
                    status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                    const QByteArray range = reply->rawHeader("Content-Range");
                    if (status == 200 && offset > 0) {
                        // The server sends the whole file: start over.
                        part.resize(0);
                        offset = 0;
                        m_resumedFrom = 0;
                    } else if (status == 206 &&
                               !range.startsWith(QByteArray("bytes " + QByteArray::number(offset) + '-'))) {
                        restarted = true; // a range we did not ask for
                        reply->abort();
                        return;
                    }
                }
                if (status != 200 && status != 206)
                    return; // an error body, read when finished
                const QByteArray data = reply->readAll();
                if (part.write(data) != data.size()) {
                    writeFailed = true;
                    reply->abort();
                    return;
                }
                transferred += data.size();
                Q_EMIT progress(part.size(), m_artifact.size);
            });
            co_await qCoro(reply.get()).waitForFinished();
            if (!alive || !self || !m_client || m_client->closing()) {
                if (!alive)
                    (void)reply.release();
                co_return cancelled;
            }
            if (auto tls = m_client->tlsFailure(*reply))
                co_return *tls;
            if (status == 0)
                status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (writeFailed) {
                const ClientError e = ioError(part);
                part.close();
                co_return e;
            }
            part.close();
            if (restarted || status == 416) { // the part file does not fit what the server has
                QFile::remove(part.fileName());
                last = ClientError{Kind::BadResponse, status, {}, QStringLiteral("the server refused to resume")};
            } else if (status == 0) {
                last = ClientError{Kind::Network, 0, {}, reply->errorString()};
                delayMs = m_client->backoffMs(attempt);
            } else if (auto bad = m_client->incompatibility(*reply)) {
                co_return *bad;
            } else if (status == 429 || status == 503) {
                last = ApiClient::httpError(status, reply->readAll());
                delayMs = m_client->backoffMs(attempt, reply->rawHeader("Retry-After").trimmed().toInt());
            } else if (status != 200 && status != 206) {
                co_return ApiClient::httpError(status, reply->readAll());
            } else if (reply->error() != QNetworkReply::NoError) {
                // Cut off part-way (the server went away, a stall): resume from what arrived.
                last = ClientError{Kind::Network, status, {}, reply->errorString()};
                delayMs = m_client->backoffMs(attempt);
            } else {
                co_return finish(transferred);
            }
        }
        if (attempt + 1 < config.maxAttempts && delayMs > 0) {
            co_await QCoro::sleepFor(std::chrono::milliseconds(delayMs));
            if (!self || !m_client)
                co_return cancelled;
        }
    }
    co_return last;
}

} // namespace cd::client
