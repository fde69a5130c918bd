#include "reply.h"

#include "guardedtcpserver.h"
#include "httpframing.h"

#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <limits>
#include <optional>

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

Reply::Reply(QTcpSocket *socket, bool closeAfter) : m_socket(socket), m_closeAfter(closeAfter) {}

Reply::Reply(Reply &&) noexcept = default;
Reply &Reply::operator=(Reply &&) noexcept = default;
Reply::~Reply() = default;

bool Reply::alive() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
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

QByteArray Reply::head(int status, const QByteArray &mime, const Headers &extra, qint64 length)
{
    QByteArray out;
    out.reserve(256);
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + statusPhrase(status) + "\r\nContent-Type: " + mime + "\r\n";
    if (length >= 0)
        out += "Content-Length: " + QByteArray::number(length) + "\r\n";
    out += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nCrawldeck-Api-Version: " +
           QByteArray::number(kApiVersion) + "\r\n";
    for (const auto &h : extra)
        out += h.first + ": " + h.second + "\r\n";
    out += "\r\n";
    return out;
}

void Reply::bytes(const QByteArray &mime, const QByteArray &body, int status, const Headers &extra)
{
    if (!firstAnswer())
        return;
    QByteArray out = head(status, mime, withConnection(extra), body.size());
    if (!m_headOnly)
        out += body;
    GuardedTcpServer::send(m_socket, out);
    answerComplete(m_socket, m_closeAfter);
}

namespace {

// Feeds a body into a socket a piece at a time, topping up whenever the socket's write buffer runs
// low, so a large artifact costs a few hundred KiB of memory (plus one database chunk) however slowly
// the client reads. A child of the socket: a client that goes away takes it along.
class BodyPump final : public QObject
{
    Q_DISABLE_COPY_MOVE(BodyPump)

public:
    static constexpr qint64 kPiece = 64 * 1024;
    static constexpr qint64 kLowWater = 4 * kPiece;

    BodyPump(QTcpSocket *socket, std::unique_ptr<QIODevice> body, qint64 remaining, bool closeAfter)
        : QObject(socket), m_socket(socket), m_body(std::move(body)), m_remaining(remaining), m_closeAfter(closeAfter)
    {
        connect(socket, &QTcpSocket::bytesWritten, this, &BodyPump::pump);
    }

    // The next piece of the body; empty when it cannot be read.
    QByteArray read()
    {
        QByteArray piece = m_body->read(qMin(kPiece, m_remaining));
        m_remaining -= piece.size();
        return piece;
    }

    void pump()
    {
        while (m_socket->bytesToWrite() < kLowWater) {
            if (m_remaining <= 0) {
                disconnect(m_socket, nullptr, this, nullptr);
                deleteLater();
                answerComplete(m_socket, m_closeAfter);
                return;
            }
            const QByteArray piece = read();
            if (piece.isEmpty()) {
                // The length is already promised: the only honest end is to cut the connection.
                qCWarning(lcGuard) << "stored body read failed:" << m_body->errorString();
                disconnect(m_socket, nullptr, this, nullptr);
                deleteLater();
                m_socket->abort();
                return;
            }
            m_socket->write(piece);
        }
    }

    QString errorString() const { return m_body->errorString(); }

private:
    QTcpSocket *m_socket;
    std::unique_ptr<QIODevice> m_body;
    qint64 m_remaining;
    bool m_closeAfter;
};

// A decimal number of a range spec; nullopt unless all digits. Past qint64 it saturates: such a
// position is beyond any body.
std::optional<qint64> rangeNumber(QByteArrayView digits)
{
    if (digits.isEmpty())
        return std::nullopt;
    qint64 n = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        n = n > (std::numeric_limits<qint64>::max() - 9) / 10 ? std::numeric_limits<qint64>::max() : n * 10 + (c - '0');
    }
    return n;
}

} // namespace

ByteRange readRange(const RangeRequest &ask, const QByteArray &etag, qint64 size)
{
    using Kind = ByteRange::Kind;
    ByteRange out;
    out.last = size - 1;
    if (ask.range.isNull() && !ask.repeated)
        return out;
    auto invalid = [&out](const QString &why) {
        out.kind = Kind::Invalid;
        out.why = why;
        return out;
    };
    if (ask.repeated)
        return invalid(QStringLiteral("the Range header is given more than once"));
    const QByteArray value = ask.range.trimmed();
    const qsizetype eq = value.indexOf('=');
    if (eq < 0 || value.left(eq).toLower() != "bytes")
        return invalid(QStringLiteral("the Range header must be bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX"));
    const QByteArray spec = value.mid(eq + 1);
    if (spec.contains(','))
        return invalid(QStringLiteral("several ranges in one request are not served; ask for one range at a time"));
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return invalid(QStringLiteral("the Range header must be bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX"));
    const QByteArrayView firstText = QByteArrayView(spec).first(dash);
    const QByteArrayView lastText = QByteArrayView(spec).sliced(dash + 1);
    const auto first = rangeNumber(firstText);
    const auto last = rangeNumber(lastText);
    if ((!firstText.isEmpty() && !first) || (!lastText.isEmpty() && !last) || (!first && !last))
        return invalid(QStringLiteral("the Range header must be bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX"));
    if (first && last && *last < *first)
        return invalid(QStringLiteral("the range ends before it starts"));
    // If-Range: the range only while the body is the one the client has part of (strong match).
    if (!ask.ifRange.isNull() && (etag.isEmpty() || ask.ifRange.trimmed() != etag))
        return out;
    if (!first) { // a suffix: the last N bytes
        if (*last == 0 || size == 0)
            return ByteRange{Kind::Unsatisfiable, 0, -1, {}};
        return ByteRange{Kind::Part, size - qMin(*last, size), size - 1, {}};
    }
    if (*first >= size)
        return ByteRange{Kind::Unsatisfiable, 0, -1, {}};
    return ByteRange{Kind::Part, *first, last ? qMin(*last, size - 1) : size - 1, {}};
}

void Reply::stored(StoredBody body, const RangeRequest &ask)
{
    using Kind = ByteRange::Kind;
    const ByteRange range = readRange(ask, body.etag, body.size);
    Headers h = body.extra;
    h.append({QByteArrayLiteral("Accept-Ranges"), QByteArrayLiteral("bytes")});
    if (!body.etag.isEmpty())
        h.append({QByteArrayLiteral("ETag"), body.etag});
    if (range.kind == Kind::Invalid) {
        // What the client meant is unclear: refused, and the connection with it.
        setCloseAfter(true);
        return error(Error::make(Error::Code::InvalidArgument, range.why));
    }
    if (range.kind == Kind::Unsatisfiable) {
        h.append({QByteArrayLiteral("Content-Range"), "bytes */" + QByteArray::number(body.size)});
        return json(QJsonObject{{QStringLiteral("error"), QStringLiteral("range_not_satisfiable")},
                                {QStringLiteral("detail"), QStringLiteral("the range starts past the end of the %1 "
                                                                          "bytes")
                                                               .arg(body.size)}},
                    416, h);
    }
    if (m_answered || !alive())
        return;
    const qint64 length = range.last - range.first + 1;
    if (range.kind == Kind::Part)
        h.append({QByteArrayLiteral("Content-Range"), "bytes " + QByteArray::number(range.first) + '-' +
                                                          QByteArray::number(range.last) + '/' +
                                                          QByteArray::number(body.size)});
    if (range.first > 0 && !body.device->seek(range.first))
        return error(Error::make(Error::Code::Unavailable,
                                 QStringLiteral("cannot read the body: ") + body.device->errorString()));
    auto pump = std::make_unique<BodyPump>(m_socket, std::move(body.device), m_headOnly ? 0 : length, m_closeAfter);
    QByteArray first;
    if (!m_headOnly && length > 0) {
        first = pump->read();
        if (first.isEmpty())
            return error(
                Error::make(Error::Code::Unavailable, QStringLiteral("cannot read the body: ") + pump->errorString()));
    }
    m_answered = true;
    m_socket->write(head(range.kind == Kind::Part ? 206 : 200, body.mime, withConnection(h), length) + first);
    if (m_headOnly || length == 0)
        return answerComplete(m_socket, m_closeAfter);
    pump.release()->pump();
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
    m_socket->write(head(200, mime, h, -1));
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
