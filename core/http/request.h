#pragma once

#include "common/result.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QJsonObject>
#include <QSet>
#include <QStringList>
#include <QUrlQuery>

#include <optional>

namespace cd::http {

// What a handler needs of a request, parsed once by the listener: a value, safe to keep (parked
// replies, streams).
struct Request
{
    QHttpServerRequest::Method method = QHttpServerRequest::Method::Unknown;
    QString path;
    QUrlQuery query;
    QStringList args;         // captured path segments, percent-decoded
    QStringList allowedQuery; // the route's query parameters (Access::Handler routes check them)
    QByteArray body;
    QHostAddress remote;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QSet<QByteArray> repeatedHeaders;      // lower-case names given more than once (`headers` keeps the last)

    // A request the listener framed: `target` as sent (origin-form, or `*`), `fields` in order with
    // names as sent.
    static Request fromFramed(QByteArrayView method, QByteArrayView target,
                              const QList<QPair<QByteArray, QByteArray>> &fields, QByteArray body,
                              const QHostAddress &remote);
    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    QString queryValue(const QString &key) const { return query.queryItemValue(key, QUrl::FullyDecoded); }
    bool isLoopback() const { return remote.isLoopback(); }
    // The client behind a trusted reverse proxy: when the peer is one of `trustedProxies`, the last
    // address of X-Forwarded-For (the one that proxy appended; earlier ones are whatever the client
    // claimed), else the last `for=` of Forwarded; the peer itself otherwise, or when that value is
    // no address. For counting and logging only: it is never a reason to trust a request.
    QHostAddress clientAddress(const QList<QHostAddress> &trustedProxies) const;

    // The body as a JSON object: 415 unless the content type is JSON, 400 when malformed or when an
    // object repeats a key (parsers disagree on which one wins), 422 when it is not an object.
    // Invalid UTF-8 inside strings is replaced rather than refused.
    Result<QJsonObject> jsonObject() const;

    // 400 for a query parameter that is not in `allowed` (auth's `access_token` and `token` always
    // are) or that is given twice: a typo must not quietly fall back to a default.
    Status checkQuery(const QStringList &allowed) const;
    // A whole-number query parameter in [min, max]; nullopt when absent or empty; 400 naming it
    // and the range otherwise.
    Result<std::optional<qint64>> queryInt(const QString &key, qint64 min, qint64 max) const;
};

} // namespace cd::http
