#pragma once

#include "common/result.h"

#include <QByteArray>
#include <QString>

namespace cd::http {

struct Request;

// Control = the API token (Bearer header, or ?access_token= for EventSource clients).
// Callback = the job's own token (?token= or X-Callback-Token), the global key in X-API-Key, or the
// API token. Loopback trust (a setting) lets same-machine clients read and post logs without one.
// Missing credentials are 401; credentials that are present but wrong are 403.
class Auth
{
public:
    Auth(QString apiToken, QString callbackKey, QByteArray secret, bool trustLoopback);

    QString jobToken(const QString &jobId) const;
    Status control(const Request &req) const;
    Status read(const Request &req) const;
    Status callback(const Request &req, const QString &jobId) const;

    void setApiToken(const QString &token) { m_apiToken = token.toUtf8(); }
    void setTrustLoopback(bool on) { m_trustLoopback = on; }
    bool trustLoopback() const { return m_trustLoopback; }

    static bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

private:
    QByteArray bearer(const Request &req) const;

    QByteArray m_apiToken;
    QByteArray m_callbackKey;
    QByteArray m_secret;
    bool m_trustLoopback;
};

} // namespace cd::http
