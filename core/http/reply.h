#pragma once

#include "common/result.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QTcpSocket>

#include <memory>

class QFile;
class QHttpServerResponder;

namespace cd::http {

using Headers = QList<QPair<QByteArray, QByteArray>>;

// The HTTP API's version: raised when a change would break an existing client. Every answer says it
// in `Crawldeck-Api-Version`, and /health in `api_version`.
inline constexpr int kApiVersion = 1;

// The answer side of one request. Move-only; may be parked and answered later (after a group
// commit) or kept open as a stream. Every write first checks that the client is still there:
// writing to a socket that went away crashes QHttpServer 6.4.
class Reply
{
public:
    explicit Reply(QHttpServerResponder &&responder);
    Reply(Reply &&) noexcept;
    Reply &operator=(Reply &&) noexcept;
    ~Reply();

    bool alive() const;
    bool answered() const { return m_answered; }
    // HEAD: headers (with the length the body would have) but no body.
    void setHeadOnly(bool on) { m_headOnly = on; }
    // The client sent `Connection: close` or is HTTP/1.0 without keep-alive (QHttpServer 6.4
    // ignores both): close after answering.
    void setCloseAfter(bool on) { m_closeAfter = on; }
    QTcpSocket *socket() const { return m_socket.data(); }

    void json(const QJsonValue &body, int status = 200, const Headers &extra = {});
    void error(const Error &error, const Headers &extra = {});
    void bytes(const QByteArray &mime, const QByteArray &body, int status = 200, const Headers &extra = {});

    // Streaming: status line and headers now, then chunks of body; the connection closes at the end.
    void beginStream(const QByteArray &mime, const Headers &extra = {});
    bool streamWrite(const QByteArray &chunk);
    void endStream();

    // A 200 whose body is `file` (opened for reading), streamed in pieces as the client takes them
    // rather than read whole into memory. Same rules as every other answer: HEAD gets the headers
    // only, a connection that must close closes after it, and the next pipelined request is handed
    // over only once the last byte is queued.
    void file(const QByteArray &mime, std::unique_ptr<QFile> file, const Headers &extra = {});

private:
    // Marks the request answered; true when this is its first answer and the client is still there.
    bool firstAnswer();
    // `extra`, plus "Connection: close" when this answer ends the connection.
    Headers withConnection(const Headers &extra) const;
    void head(int status, const QByteArray &mime, const Headers &extra, qint64 length);

    std::unique_ptr<QHttpServerResponder> m_responder;
    QPointer<QTcpSocket> m_socket;
    bool m_answered = false;
    bool m_headOnly = false;
    bool m_closeAfter = false;
};

int httpStatus(Error::Code code);

} // namespace cd::http
