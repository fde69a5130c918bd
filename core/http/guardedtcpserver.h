#pragma once

#include "httpframing.h"

#include <QElapsedTimer>
#include <QHash>
#include <QLoggingCategory>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTimer>

#include <memory>
#include <optional>

namespace cd::http {

Q_DECLARE_LOGGING_CATEGORY(lcGuard)

struct GuardLimits
{
    int maxConnections = 512;
    qint64 maxBodyBytes = 8 * 1024 * 1024;
    qint64 maxHeaderBytes = 64 * 1024;
    int headerDeadlineMs = 10000;    // a request's head must arrive within this of its first byte
    int bodyDeadlineMs = 60000;      // its body within this of the end of its head, however it trickles
    int handshakeDeadlineMs = 10000; // TLS: the handshake must finish within this
    int idleTimeoutMs = 120000;      // keep-alive sockets with no traffic are closed
};

// QHttpServer 6.4 buffers any body, never times out, accepts any number of connections and frames
// requests more leniently than RFC 9112. This listener sits in front of it and is the one framer:
// it reads every byte itself (RequestFramer), answers 400/408/411/413/414/431/501/503/505 and closes,
// and hands QHttpServer one complete, validated request at a time, the next only once the previous
// one is answered. Bytes after a refusal are discarded unread by QHttpServer. With a TLS
// configuration it also does the handshake (with a deadline) before any of that.
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GuardedTcpServer)
public:
    explicit GuardedTcpServer(GuardLimits limits, QObject *parent = nullptr);
    ~GuardedTcpServer() override;

    void setTlsConfiguration(const QSslConfiguration &config) { m_tls = config; }

    // Long-lived responses (SSE) are exempt from the idle timeout.
    static void markStreaming(QTcpSocket *socket);
    // The answer to the request in flight on `socket` is written: the next pipelined one may go.
    static void responseDone(QTcpSocket *socket);
    // The request in flight must be answered with `Connection: close` and the connection closed
    // (HTTP/1.0 without keep-alive, or `Connection: close`).
    static bool closeAfterResponse(const QTcpSocket *socket);

    int openConnections() const { return m_open; }
    quint64 rejectedCount() const { return m_rejected; }

protected:
    void incomingConnection(qintptr handle) override;

private:
    struct Conn;
    void admit(QTcpSocket *socket);
    void onReadyRead(QTcpSocket *socket, const std::shared_ptr<Conn> &conn);
    void frame(QTcpSocket *socket, Conn &conn);
    void release(QTcpSocket *socket, const std::shared_ptr<Conn> &conn);
    void answered(QTcpSocket *socket);
    static void settleTransaction(QTcpSocket *socket);
    // Bytes buffered per connection before reading pauses: one whole request beyond those queued.
    qint64 readCap() const { return m_limits.maxHeaderBytes + m_limits.maxBodyBytes + 64 * 1024; }
    void sweep();
    void refuse(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &detail);
    void trackLifetime(QTcpSocket *socket, bool counted);

    GuardLimits m_limits;
    FramingLimits m_framing;
    std::optional<QSslConfiguration> m_tls;
    // Deadlines are checked by one sweep, not a timer per socket: restarting thousands of timers
    // per second is what Qt's timer list is slowest at.
    QHash<QTcpSocket *, std::shared_ptr<Conn>> m_conns;
    QHash<QTcpSocket *, qint64> m_handshakes; // TLS sockets not yet admitted: handshake start
    QTimer m_sweep;
    QElapsedTimer m_clock;
    int m_open = 0;
    quint64 m_rejected = 0;
};

} // namespace cd::http
