#include "reply.h"

#include "guardedtcpserver.h"

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

void Reply::head(int status, const QByteArray &mime, const Headers &extra, qint64 length)
{
    m_responder->writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(status));
    m_responder->writeHeader(QByteArrayLiteral("Content-Type"), mime);
    if (length >= 0)
        m_responder->writeHeader(QByteArrayLiteral("Content-Length"), QByteArray::number(length));
    m_responder->writeHeader(QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store"));
    m_responder->writeHeader(QByteArrayLiteral("X-Content-Type-Options"), QByteArrayLiteral("nosniff"));
    for (const auto &h : extra)
        m_responder->writeHeader(h.first, h.second);
}

void Reply::bytes(const QByteArray &mime, const QByteArray &body, int status, const Headers &extra)
{
    if (m_answered)
        return;
    m_answered = true;
    if (!alive())
        return;
    Headers h = extra;
    if (m_closeAfter)
        h.append({QByteArrayLiteral("Connection"), QByteArrayLiteral("close")});
    head(status, mime, h, body.size());
    m_responder->writeBody(m_headOnly ? QByteArray() : body);
    if (m_closeAfter)
        m_socket->disconnectFromHost(); // after the queued bytes are written
    else
        GuardedTcpServer::responseDone(m_socket);
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

std::unique_ptr<QHttpServerResponder> Reply::takeResponder()
{
    m_answered = true;
    return std::move(m_responder);
}

void Reply::endStream()
{
    if (alive())
        m_socket->disconnectFromHost();
}

} // namespace cd::http
