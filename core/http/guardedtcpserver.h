#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QTcpServer>
#include <QTimer>

#include <memory>

namespace cd::http {

struct GuardLimits
{
    int maxConnections = 512;
    qint64 maxBodyBytes = 8 * 1024 * 1024;
    qint64 maxHeaderBytes = 64 * 1024;
    int headerDeadlineMs = 10000; // a request's headers must arrive within this
    int idleTimeoutMs = 120000;   // keep-alive sockets with no traffic are closed
};

// QHttpServer 6.4 buffers any body, never times out and accepts any number of connections. This
// listener sits in front of it: it watches each socket's bytes before QHttpServer reads them and
// answers 413/431/408/503 itself.
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
public:
    explicit GuardedTcpServer(GuardLimits limits, QObject *parent = nullptr);

    // Long-lived responses (SSE) are exempt from the idle timeout.
    static void markStreaming(QTcpSocket *socket);
    int openConnections() const { return m_open; }
    quint64 rejectedCount() const { return m_rejected; }

protected:
    void incomingConnection(qintptr handle) override;

private:
    struct Conn;
    void watch(QTcpSocket *socket);
    void inspect(QTcpSocket *socket, Conn &conn);
    void sweep();
    void refuse(QTcpSocket *socket, int status, const char *reason, const QByteArray &detail);

    GuardLimits m_limits;
    // Deadlines are checked by one sweep, not a timer per socket: restarting thousands of timers
    // per second is what Qt's timer list is slowest at.
    QHash<QTcpSocket *, std::shared_ptr<Conn>> m_conns;
    QTimer m_sweep;
    QElapsedTimer m_clock;
    int m_open = 0;
    quint64 m_rejected = 0;
};

} // namespace cd::http
