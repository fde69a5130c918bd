#include "reply.h"

#include "guardedtcpserver.h"

#include <QFile>
#include <QHttpServerResponder>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace cd::http {

// The one place where typed errors become HTTP status codes.
int httpStatus(Error::Code code)
{
    switch (code) {
    case Error::Code::InvalidArgument: return 400;
    case Error::Code::Unauthorized: return 401;
    case Error::Code::Forbidden: return 403;
    case Error::Code::NotFound: return 404;
    case Error::Code::MethodNotAllowed: return 405;
    case Error::Code::Conflict: return 409;
    case Error::Code::PayloadTooLarge: return 413;
    case Error::Code::UnsupportedMedia: return 415;
    case Error::Code::Unprocessable: return 422;
    case Error::Code::TooManyRequests: return 429;
    case Error::Code::Unavailable: return 503;
    case Error::Code::Internal: break;
    }
    return 500;
}

namespace {

// The whole answer is queued: close if the request asked for it, or let the next pipelined one go.
void answerComplete(QTcpSocket *socket, bool closeAfter)
{
    if (!socket)
        return;
    if (closeAfter)
        socket->disconnectFromHost(); // after the queued bytes are written
    else
        GuardedTcpServer::responseDone(socket);
}

} // namespace

Reply::Reply(QHttpServerResponder &&responder)
    : m_responder(std::make_unique<QHttpServerResponder>(std::move(responder)))
{
    m_socket = m_responder->socket();
}

Reply::Reply(Reply &&) noexcept = default;
Reply &Reply::operator=(Reply &&) noexcept = default;
Reply::~Reply() = default;

bool Reply::alive() const
{
    return m_responder && m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

bool Reply::firstAnswer()
{
    if (m_answered)
        return false;
    m_answered = true;
    return alive();
}

Headers Reply::withConnection(const Headers &extra) const
{
    Headers h = extra;
    if (m_closeAfter)
        h.append({QByteArrayLiteral("Connection"), QByteArrayLiteral("close")});
    return h;
}

void Reply::head(int status, const QByteArray &mime, const Headers &extra, qint64 length)
{
    m_responder->writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(status));
    m_responder->writeHeader(QByteArrayLiteral("Content-Type"), mime);
    if (length >= 0)
        m_responder->writeHeader(QByteArrayLiteral("Content-Length"), QByteArray::number(length));
    m_responder->writeHeader(QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store"));
    m_responder->writeHeader(QByteArrayLiteral("X-Content-Type-Options"), QByteArrayLiteral("nosniff"));
    m_responder->writeHeader(QByteArrayLiteral("Crawldeck-Api-Version"), QByteArray::number(kApiVersion));
    for (const auto &h : extra)
        m_responder->writeHeader(h.first, h.second);
}

void Reply::bytes(const QByteArray &mime, const QByteArray &body, int status, const Headers &extra)
{
    if (!firstAnswer())
        return;
    head(status, mime, withConnection(extra), body.size());
    m_responder->writeBody(m_headOnly ? QByteArray() : body);
    answerComplete(m_socket, m_closeAfter);
}

namespace {

// Feeds a file into a socket a piece at a time, topping up whenever the socket's write buffer runs
// low, so a large artifact costs a few hundred KiB of memory however slowly the client reads. A child
// of the socket: a client that goes away takes it along.
class FilePump final : public QObject
{
    Q_DISABLE_COPY_MOVE(FilePump)

public:
    static constexpr qint64 kPiece = 64 * 1024;
    static constexpr qint64 kLowWater = 4 * kPiece;

    FilePump(QTcpSocket *socket, std::unique_ptr<QFile> file, bool closeAfter)
        : QObject(socket), m_socket(socket), m_file(std::move(file)), m_closeAfter(closeAfter)
    {
        connect(socket, &QTcpSocket::bytesWritten, this, &FilePump::pump);
    }

    void pump()
    {
        while (m_socket->bytesToWrite() < kLowWater) {
            if (m_file->atEnd()) {
                disconnect(m_socket, nullptr, this, nullptr);
                deleteLater();
                answerComplete(m_socket, m_closeAfter);
                return;
            }
            const QByteArray piece = m_file->read(kPiece);
            if (piece.isEmpty()) {
                // The length is already promised: the only honest end is to cut the connection.
                qCWarning(lcGuard) << "artifact read failed:" << m_file->errorString();
                disconnect(m_socket, nullptr, this, nullptr);
                deleteLater();
                m_socket->abort();
                return;
            }
            m_socket->write(piece);
        }
    }

private:
    QTcpSocket *m_socket;
    std::unique_ptr<QFile> m_file;
    bool m_closeAfter;
};

} // namespace

void Reply::file(const QByteArray &mime, std::unique_ptr<QFile> file, const Headers &extra)
{
    if (!firstAnswer())
        return;
    head(200, mime, withConnection(extra), file->size());
    m_responder->writeBody(QByteArray()); // ends the header section
    if (m_headOnly || file->size() == 0)
        return answerComplete(m_socket, m_closeAfter);
    (new FilePump(m_socket, std::move(file), m_closeAfter))->pump();
}

void Reply::json(const QJsonValue &body, int status, const Headers &extra)
{
    const QByteArray data = body.isArray() ? QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact)
                                           : QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
    bytes(QByteArrayLiteral("application/json"), data, status, extra);
}

void Reply::error(const Error &e, const Headers &extra)
{
    Headers h = extra;
    // Unavailable is temporary by definition (storage, shutdown, a backend being set up): tell
    // clients when to come back instead of letting them hammer or give up.
    if (e.code == Error::Code::Unavailable &&
        std::none_of(h.cbegin(), h.cend(), [](const auto &p) { return p.first.toLower() == "retry-after"; }))
        h.append({QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1")});
    json(QJsonObject{{QStringLiteral("error"), errorCodeName(e.code)}, {QStringLiteral("detail"), e.detail}},
         httpStatus(e.code), h);
}

void Reply::beginStream(const QByteArray &mime, const Headers &extra)
{
    if (m_answered || !alive())
        return;
    m_answered = true;
    Headers h = extra;
    h.append({QByteArrayLiteral("Connection"), QByteArrayLiteral("close")});
    head(200, mime, h, -1);
    m_responder->writeBody(QByteArray());
    if (m_headOnly)
        m_socket->disconnectFromHost();
}

bool Reply::streamWrite(const QByteArray &chunk)
{
    if (!alive())
        return false;
    m_socket->write(chunk);
    return true;
}

void Reply::endStream()
{
    if (alive())
        m_socket->disconnectFromHost();
}

} // namespace cd::http
