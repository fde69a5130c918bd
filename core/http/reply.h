#pragma once

#include "common/result.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QTcpSocket>

#include <memory>

class QIODevice;

namespace cd::http {

using Headers = QList<QPair<QByteArray, QByteArray>>;

// A body kept somewhere that can be read in pieces and from any offset: a file on disk, an artifact
// in the database.
struct StoredBody
{
    QByteArray mime;
    std::unique_ptr<QIODevice> device; // open for reading, seekable
    qint64 size = 0;
    QByteArray etag; // a strong validator with its quotes, e.g. "<sha256>"; empty when there is none
    Headers extra;   // e.g. Content-Disposition
};

// What a request asked of a stored body (RFC 9110 §14): its Range and If-Range headers.
struct RangeRequest
{
    QByteArray range;
    QByteArray ifRange;
    bool repeated = false; // Range given more than once
};

// How a Range header reads against a body of a given size.
struct ByteRange
{
    enum class Kind { Whole, Part, Unsatisfiable, Invalid };
    Kind kind = Kind::Whole;
    qint64 first = 0;
    qint64 last = -1; // inclusive
    QString why;      // Invalid: what is wrong with the header
};
// One range (`bytes=N-`, `bytes=N-M`, `bytes=-N`) is a Part, clamped to the body; a range that
// starts past the end (or a zero suffix, or any range of an empty body) is Unsatisfiable; anything
// else, several ranges included, is Invalid: it is refused, not guessed at or answered whole. An
// If-Range that is not the body's strong ETag (a date, a weak or other tag) asks for the Whole body.
ByteRange readRange(const RangeRequest &ask, const QByteArray &etag, qint64 size);

// The HTTP API's version: raised when a change would break an existing client. Every answer says it
// in `Crawldeck-Api-Version`, and /health in `api_version`.
inline constexpr int kApiVersion = 1;

// The answer side of one request, written on its socket in one piece. Move-only; may be parked and
// answered later (after a group commit) or kept open as a stream. Every write first checks that the
// client is still there.
class Reply
{
public:
    // `closeAfter`: the request asked for the connection to close after its answer.
    Reply(QTcpSocket *socket, bool closeAfter);
    Reply(Reply &&) noexcept;
    Reply &operator=(Reply &&) noexcept;
    ~Reply();

    bool alive() const;
    bool answered() const { return m_answered; }
    // HEAD: headers (with the length the body would have) but no body.
    void setHeadOnly(bool on) { m_headOnly = on; }
    // The client sent `Connection: close` or is HTTP/1.0 without keep-alive, or the answer is a
    // refusal that ends the connection: close after answering.
    void setCloseAfter(bool on) { m_closeAfter = on; }
    QTcpSocket *socket() const { return m_socket.data(); }

    void json(const QJsonValue &body, int status = 200, const Headers &extra = {});
    void error(const Error &error, const Headers &extra = {});
    void bytes(const QByteArray &mime, const QByteArray &body, int status = 200, const Headers &extra = {});

    // Streaming: status line and headers now, then chunks of body; the connection closes at the end.
    void beginStream(const QByteArray &mime, const Headers &extra = {});
    bool streamWrite(const QByteArray &chunk);
    void endStream();

    // A stored body, or the one byte range of it that `ask` names (206 with Content-Range), streamed
    // in pieces as the client takes them rather than read whole into memory; 416 with `Content-Range:
    // bytes */size` for a range past the end; 400 and close for a malformed or multiple range.
    // Accept-Ranges and the ETag (when known) go with every answer. The first piece is read before
    // the status line, so a body that cannot be read is a 503, not a 200 that breaks off. Same rules
    // as every other answer: HEAD gets the headers only, a connection that must close closes after
    // it, and the next pipelined request is handed over only once the last byte is queued.
    void stored(StoredBody body, const RangeRequest &ask);

private:
    // Marks the request answered; true when this is its first answer and the client is still there.
    bool firstAnswer();
    // `extra`, plus "Connection: close" when this answer ends the connection.
    Headers withConnection(const Headers &extra) const;
    // The status line and header section, its empty line included.
    static QByteArray head(int status, const QByteArray &mime, const Headers &extra, qint64 length);

    QPointer<QTcpSocket> m_socket;
    bool m_answered = false;
    bool m_headOnly = false;
    bool m_closeAfter = false;
};

int httpStatus(Error::Code code);

} // namespace cd::http
