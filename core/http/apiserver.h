#pragma once

#include "common/result.h"
#include "guardedtcpserver.h"
#include "router.h"

#include <QHostAddress>
#include <QObject>
#include <QPointer>

#include <memory>

namespace cd::http {

// The embedded HTTP service: our guarded listener frames and parses each request once and hands it
// to the Router. listen() may be called again (settings changed): the old listener closes first.
class ApiServer : public QObject
{
    Q_OBJECT
public:
    ApiServer(const Auth *auth, GuardLimits limits, QObject *parent = nullptr);
    ~ApiServer() override;

    Router &router() { return m_router; }
    // With a certificate and key the listener speaks TLS; the handshake is done by the guarded
    // listener, so every limit and deadline applies to TLS connections too.
    Result<quint16> listen(const QHostAddress &address, quint16 port, const QString &tlsCert = {},
                           const QString &tlsKey = {});
    void close();
    bool isListening() const;
    quint16 port() const { return m_port; }
    QHostAddress address() const { return m_address; }
    GuardedTcpServer *listener() const { return m_listener.get(); }

private:
    Router m_router;
    GuardLimits m_limits;
    std::unique_ptr<GuardedTcpServer> m_listener;
    QHostAddress m_address;
    quint16 m_port = 0;
};

} // namespace cd::http
