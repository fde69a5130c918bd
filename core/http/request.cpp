#include "request.h"

#include <QJsonDocument>

namespace cd::http {

using Code = Error::Code;

Request Request::from(const QHttpServerRequest &req)
{
    Request r;
    r.method = req.method();
    r.path = req.url().path(QUrl::FullyEncoded);
    r.query = req.query();
    r.body = req.body();
    r.remote = req.remoteAddress();
    for (const auto &h : req.headers())
        r.headers.insert(h.first.toLower(), h.second);
    return r;
}

Result<QJsonObject> Request::jsonObject() const
{
    const QByteArray type = header(QByteArrayLiteral("content-type")).toLower();
    if (!type.isEmpty() && !type.contains("json"))
        return Error::make(Code::UnsupportedMedia,
                           QStringLiteral("expected a JSON body (Content-Type: application/json), got '%1'")
                               .arg(QString::fromLatin1(type)));
    if (body.trimmed().isEmpty())
        return Error::make(Code::Unprocessable, QStringLiteral("the request body is empty; expected a JSON object"));
    // Round-trip through QString: invalid UTF-8 becomes U+FFFD instead of failing the whole request.
    const QByteArray repaired = QString::fromUtf8(body).toUtf8();
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(repaired, &err);
    if (err.error != QJsonParseError::NoError)
        return Error::make(Code::InvalidArgument,
                           QStringLiteral("malformed JSON: %1 at offset %2").arg(err.errorString()).arg(err.offset));
    if (!doc.isObject())
        return Error::make(Code::Unprocessable, QStringLiteral("expected a JSON object"));
    return doc.object();
}

} // namespace cd::http
