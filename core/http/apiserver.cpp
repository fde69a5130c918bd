#include "apiserver.h"

#include <QFile>
#include <QHttpServer>
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
    m_http = std::make_unique<QHttpServer>();
    m_http->setMissingHandler([this](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        m_router.dispatch(req, std::move(responder));
    });
    auto *listener = new GuardedTcpServer(m_limits, m_http.get());
    if (!tlsCert.isEmpty()) {
        QFile certFile(tlsCert);
        QFile keyFile(tlsKey);
        if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
            m_http.reset();
            return Error::make(Error::Code::Unavailable, QStringLiteral("cannot read TLS certificate or key"));
        }
        const QSslCertificate cert(&certFile, QSsl::Pem);
        QSslKey key(&keyFile, QSsl::Rsa, QSsl::Pem);
        if (key.isNull()) {
            keyFile.seek(0);
            key = QSslKey(&keyFile, QSsl::Ec, QSsl::Pem);
        }
        if (cert.isNull() || key.isNull()) {
            m_http.reset();
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
        m_http.reset();
        return Error::make(Error::Code::Unavailable,
                           QStringLiteral("cannot listen on %1:%2%3: %4")
                               .arg(address.toString())
                               .arg(port)
                               .arg(tlsCert.isEmpty() ? QString() : QStringLiteral(" with TLS"), why));
    }
    m_http->bind(listener);
    m_listener = listener;
    m_address = address;
    m_port = listener->serverPort();
    return m_port;
}

void ApiServer::close()
{
    if (m_listener)
        m_listener->close();
    m_http.reset();
    m_port = 0;
}

bool ApiServer::isListening() const
{
    return m_http && m_port != 0;
}

} // namespace cd::http
