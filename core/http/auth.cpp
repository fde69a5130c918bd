#include "auth.h"

#include "request.h"

#include <QMessageAuthenticationCode>

namespace cd::http {

using Code = Error::Code;

Auth::Auth(QString apiToken, QString callbackKey, QByteArray secret, bool trustLoopback)
    : m_apiToken(apiToken.toUtf8())
    , m_callbackKey(callbackKey.toUtf8())
    , m_secret(std::move(secret))
    , m_trustLoopback(trustLoopback)
{}

bool Auth::constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.isEmpty() || b.isEmpty())
        return false;
    // Length leaks, content does not: tokens have a fixed, public length anyway.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    const qsizetype n = qMin(a.size(), b.size());
    for (qsizetype i = 0; i < n; ++i)
        diff |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return diff == 0;
}

QString Auth::jobToken(const QString &jobId) const
{
    const QByteArray mac = QMessageAuthenticationCode::hash(jobId.toUtf8(), m_secret, QCryptographicHash::Sha256);
    return QString::fromLatin1(mac.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray Auth::bearer(const Request &req) const
{
    const QByteArray h = req.header(QByteArrayLiteral("authorization")).trimmed();
    if (h.size() > 7 && h.left(7).toLower() == "bearer ")
        return h.mid(7).trimmed();
    const QString qs = req.queryValue(QStringLiteral("access_token"));
    return qs.toUtf8();
}

Status Auth::control(const Request &req) const
{
    const QByteArray token = bearer(req);
    if (token.isEmpty())
        return Error::make(Code::Unauthorized,
                           QStringLiteral("this route needs the API token: send 'Authorization: Bearer <token>'"));
    if (!constantTimeEquals(token, m_apiToken))
        return Error::make(Code::Forbidden, QStringLiteral("the API token is not valid"));
    return Ok{};
}

Status Auth::read(const Request &req) const
{
    if (m_trustLoopback && req.isLoopback() && bearer(req).isEmpty())
        return Ok{};
    return control(req);
}

Status Auth::callback(const Request &req, const QString &jobId) const
{
    QByteArray jobTok = req.queryValue(QStringLiteral("token")).toUtf8();
    if (jobTok.isEmpty())
        jobTok = req.header(QByteArrayLiteral("x-callback-token")).trimmed();
    const QByteArray apiKey = req.header(QByteArrayLiteral("x-api-key")).trimmed();
    const QByteArray bearerTok = bearer(req);
    if (!jobTok.isEmpty()) {
        if (constantTimeEquals(jobTok, jobToken(jobId).toUtf8()))
            return Ok{};
        return Error::make(Code::Forbidden, QStringLiteral("the callback token does not belong to job %1").arg(jobId));
    }
    if (!apiKey.isEmpty()) {
        if (constantTimeEquals(apiKey, m_callbackKey))
            return Ok{};
        return Error::make(Code::Forbidden, QStringLiteral("invalid API key"));
    }
    if (!bearerTok.isEmpty()) {
        if (constantTimeEquals(bearerTok, m_apiToken))
            return Ok{};
        return Error::make(Code::Forbidden, QStringLiteral("the API token is not valid"));
    }
    if (m_trustLoopback && req.isLoopback())
        return Ok{};
    return Error::make(Code::Unauthorized,
                       QStringLiteral("log callbacks need the job's token (?token= or X-Callback-Token) or the "
                                      "callback key (X-API-Key)"));
}

} // namespace cd::http
