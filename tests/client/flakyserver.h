#pragma once

#include <QByteArray>
#include <QList>
#include <QTcpServer>
#include <QTcpSocket>

#include <functional>

namespace cdtest {

// A small HTTP server that misbehaves on purpose (429, 503, dropped connections, silence, another
// API version): it stands in for a server in trouble, which our own cannot be made to be on demand.
// `respond` gets each complete request (head and body) with its number, counted from 0, and writes
// whatever it likes to the socket, or nothing at all.
class FlakyServer final : public QTcpServer
{
public:
    using Handler = std::function<void(QTcpSocket *socket, const QByteArray &request, int index)>;

    explicit FlakyServer(Handler respond);
    quint16 port() const { return serverPort(); }
    int requests() const { return static_cast<int>(m_requests.size()); }
    const QList<QByteArray> &received() const { return m_requests; }

    // A complete answer with a JSON body, the version header and keep-alive.
    static QByteArray answer(int status, const QByteArray &body, const QByteArray &extraHeaders = {},
                             const QByteArray &apiVersion = "1");
    // One header's value in a raw request ("" when absent).
    static QByteArray header(const QByteArray &request, const QByteArray &name);

private:
    Handler m_respond;
    QList<QByteArray> m_requests;
};

} // namespace cdtest
