#include "apiserver.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

namespace cd::http {

ApiServer::ApiServer(const Auth *auth, GuardLimits limits, QObject *parent)
    : QObject(parent), m_router(auth), m_limits(limits)
{}

ApiServer::~ApiServer()
{
    close();
}

Result<quint16> ApiServer::listen(const QHostAddress &address, quint16 port, const QString &tlsCert,
                                  const QString &tlsKey)
{
    close();
    auto listener = std::make_unique<GuardedTcpServer>(m_limits);
    listener->setDispatch([this](Request &&req, const Headers &fields, Reply &&reply) {
        m_router.dispatch(std::move(req), fields, std::move(reply));
    });
    if (!tlsCert.isEmpty()) {
        QFile certFile(tlsCert);
        QFile keyFile(tlsKey);
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
            return Error::make(Error::Code::Unavailable, QStringLiteral("cannot read TLS certificate or key"));
        }
        const QSslCertificate cert(&certFile, QSsl::Pem);
        QSslKey key(&keyFile, QSsl::Rsa, QSsl::Pem);
        if (key.isNull()) {
            keyFile.seek(0);
            key = QSslKey(&keyFile, QSsl::Ec, QSsl::Pem);
        }
        if (cert.isNull() || key.isNull()) {
            return Error::make(Error::Code::Unavailable, QStringLiteral("the TLS certificate or key is not valid PEM"));
        }
        // The handshake happens in our listener, so TLS connections get the same guards as plain ones.
        QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
        conf.setLocalCertificate(cert);
        conf.setPrivateKey(key);
        conf.setPeerVerifyMode(QSslSocket::VerifyNone);
        listener->setTlsConfiguration(conf);
    }
    if (!listener->listen(address, port)) {
        const QString why = listener->errorString();
        return Error::make(Error::Code::Unavailable,
                           QStringLiteral("cannot listen on %1:%2%3: %4")
                               .arg(address.toString())
                               .arg(port)
                               .arg(tlsCert.isEmpty() ? QString() : QStringLiteral(" with TLS"), why));
    }
    m_listener = std::move(listener);
    m_address = address;
    m_port = m_listener->serverPort();
    return m_port;
}

void ApiServer::close()
{
    if (m_listener)
        m_listener->close();
    m_listener.reset();
    m_port = 0;
}

bool ApiServer::isListening() const
{
    return m_listener && m_port != 0;
}

} // namespace cd::http
