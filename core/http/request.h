#pragma once

#include "common/result.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QJsonObject>
#include <QStringList>
#include <QUrlQuery>

namespace cd::http {

// A copy of what a handler needs from a QHttpServerRequest: safe to keep after the request object
// is gone (parked replies, streams).
struct Request
{
    QHttpServerRequest::Method method = QHttpServerRequest::Method::Unknown;
    QString path;
    QUrlQuery query;
    QStringList args; // captured path segments, percent-decoded
    QByteArray body;
    QHostAddress remote;
    QHash<QByteArray, QByteArray> headers; // lower-case names

    static Request from(const QHttpServerRequest &req);
    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    QString queryValue(const QString &key) const { return query.queryItemValue(key, QUrl::FullyDecoded); }
    bool isLoopback() const { return remote.isLoopback(); }

    // The body as a JSON object: 415 unless the content type is JSON, 400 when malformed, 422 when
    // it is not an object. Invalid UTF-8 inside strings is replaced rather than refused.
    Result<QJsonObject> jsonObject() const;
};

} // namespace cd::http
