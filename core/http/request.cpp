#include "request.h"

#include "jobs/jobspec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cstring>

namespace cd::http {

using Code = Error::Code;

namespace {

// The first key that appears twice in one object of `json` (already known to be valid JSON), or
// nullopt. QJsonDocument keeps one of the two silently; another parser in front of us may keep the
// other, so a repeated key is refused rather than guessed. One pass over the bytes; keys are views
// into the body, copied only when written with escapes.
std::optional<QString> duplicateKey(const QByteArray &json)
{
    struct Frame
    {
        bool object;
        bool expectKey;
        QSet<QByteArrayView> keys;
    };
    QList<Frame> stack;
    QList<QByteArray> decoded; // owns the escaped keys the views point into
    const char *p = json.constData();
    const char *const end = p + json.size();
    while (p < end) {
        const char c = *p;
        if (c == '"') {
            const char *const start = ++p;
            // The closing quote is the first one not preceded by an odd number of backslashes.
            for (;;) {
                p = static_cast<const char *>(std::memchr(p, '"', static_cast<size_t>(end - p)));
                if (!p)
                    return std::nullopt;
                const char *b = p;
                while (b > start && b[-1] == '\\')
                    --b;
                if ((p - b) % 2 == 0)
                    break;
                ++p;
            }
            if (!stack.isEmpty() && stack.last().object && stack.last().expectKey) {
                QByteArrayView key(start, p - start);
                // "a" and "\u0061" are the same key.
                if (std::memchr(start, '\\', static_cast<size_t>(p - start))) {
                    const QByteArray quoted = "[" + QByteArray(start - 1, p - start + 2) + "]";
                    decoded.append(QJsonDocument::fromJson(quoted).array().at(0).toString().toUtf8());
                    key = decoded.last();
                }
                if (stack.last().keys.contains(key))
                    return QString::fromUtf8(key);
                stack.last().keys.insert(key);
                stack.last().expectKey = false;
            }
        } else if (c == '{' || c == '[') {
            stack.append(Frame{c == '{', c == '{', {}});
        } else if (c == '}' || c == ']') {
            if (!stack.isEmpty())
                stack.removeLast();
        } else if (c == ',' && !stack.isEmpty() && stack.last().object) {
            stack.last().expectKey = true;
        }
        ++p;
    }
    return std::nullopt;
}

} // namespace

namespace {

QHttpServerRequest::Method methodOf(QByteArrayView m)
{
    using M = QHttpServerRequest::Method;
    if (m == "GET")
        return M::Get;
    if (m == "POST")
        return M::Post;
    if (m == "HEAD")
        return M::Head;
    if (m == "PUT")
        return M::Put;
    if (m == "DELETE")
        return M::Delete;
    if (m == "PATCH")
        return M::Patch;
    if (m == "OPTIONS")
        return M::Options;
    return M::Unknown;
}

// Bytes a path keeps as they are in QUrl's fully encoded form.
bool isPlainPath(QByteArrayView path)
{
    for (const char c : path) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
                           c == '-' || c == '.' || c == '_' || c == '~';
        if (!plain)
            return false;
    }
    return true;
}

} // namespace

Request Request::fromFramed(QByteArrayView method, QByteArrayView target,
                            const QList<QPair<QByteArray, QByteArray>> &fields, QByteArray body,
                            const QHostAddress &remote)
{
    Request r;
    r.method = methodOf(method);
    const qsizetype q = target.indexOf('?');
    const QByteArrayView path = q < 0 ? target : target.first(q);
    // The common case needs no URL parser; anything with escapes or delimiters is read the way
    // QUrl reads a path (tolerantly), so that the router sees one spelling of it.
    if (isPlainPath(path)) {
        r.path = QString::fromLatin1(path);
    } else {
        QUrl url;
        url.setPath(QString::fromUtf8(path), QUrl::TolerantMode);
        r.path = url.path(QUrl::FullyEncoded);
    }
    if (q >= 0) {
        QUrl url;
        url.setQuery(QString::fromUtf8(target.sliced(q + 1)), QUrl::TolerantMode);
        r.query = QUrlQuery(url);
    }
    r.body = std::move(body);
    r.remote = remote;
    r.headers.reserve(fields.size());
    for (const auto &h : fields) {
        const QByteArray name = h.first.toLower();
        if (r.headers.contains(name))
            r.repeatedHeaders.insert(name);
        r.headers.insert(name, h.second);
    }
    return r;
}

QHostAddress Request::clientAddress(const QList<QHostAddress> &trustedProxies) const
{
    if (trustedProxies.isEmpty() || !std::any_of(trustedProxies.cbegin(), trustedProxies.cend(),
                                                 [this](const QHostAddress &p) { return p.isEqual(remote); }))
        return remote;
    QByteArray last;
    const QByteArray xff = header(QByteArrayLiteral("x-forwarded-for"));
    if (!xff.trimmed().isEmpty()) {
        last = xff.mid(xff.lastIndexOf(',') + 1).trimmed();
    } else {
        // RFC 7239: `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"`.
        const QByteArray fwd = header(QByteArrayLiteral("forwarded"));
        for (const QByteArray &pair : fwd.mid(fwd.lastIndexOf(',') + 1).split(';')) {
            const QByteArray kv = pair.trimmed();
            if (kv.size() > 4 && kv.left(4).toLower() == "for=")
                last = kv.mid(4);
        }
        if (last.startsWith('"') && last.endsWith('"') && last.size() >= 2)
            last = last.mid(1, last.size() - 2);
        if (last.startsWith('[')) {
            last = last.mid(1, last.indexOf(']') - 1);
        } else if (last.count(':') == 1) {
            last = last.left(last.indexOf(':')); // an IPv4 address with a port
        }
    }
    const QHostAddress client(QString::fromLatin1(last));
    return client.isNull() ? remote : client;
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
    // Invalid UTF-8 becomes U+FFFD (a round trip through QString) instead of failing the whole
    // request; valid UTF-8, the usual case, is parsed as it is.
    const QByteArray repaired = body.isValidUtf8() ? body : QString::fromUtf8(body).toUtf8();
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(repaired, &err);
    if (err.error != QJsonParseError::NoError)
        return Error::make(Code::InvalidArgument,
                           QStringLiteral("malformed JSON: %1 at offset %2").arg(err.errorString()).arg(err.offset));
    if (const auto dup = duplicateKey(repaired))
        return Error::make(
            Code::InvalidArgument,
            QStringLiteral("the JSON body has the key '%1' twice in one object; send it once").arg(*dup));
    if (!doc.isObject())
        return Error::make(Code::Unprocessable, QStringLiteral("expected a JSON object"));
    return doc.object();
}

Status Request::checkQuery(const QStringList &allowed) const
{
    QStringList known = allowed;
    known << QStringLiteral("access_token") << QStringLiteral("token");
    QSet<QString> seen;
    for (const auto &item : query.queryItems(QUrl::FullyDecoded)) {
        if (!known.contains(item.first))
            return Error::make(
                Code::InvalidArgument,
                QStringLiteral("unknown query parameter '%1'%2; this route accepts: %3")
                    .arg(item.first, jobs::suggestion(item.first, allowed),
                         allowed.isEmpty() ? QStringLiteral("none") : allowed.join(QStringLiteral(", "))));
        if (seen.contains(item.first))
            return Error::make(Code::InvalidArgument,
                               QStringLiteral("query parameter '%1' is given twice; send it once").arg(item.first));
        seen.insert(item.first);
    }
    return Ok{};
}

Result<std::optional<qint64>> Request::queryInt(const QString &key, qint64 min, qint64 max) const
{
    const QString raw = queryValue(key);
    if (raw.isEmpty())
        return std::optional<qint64>();
    bool ok = false;
    const qint64 v = raw.toLongLong(&ok);
    if (!ok || v < min || v > max)
        return Error::make(Code::InvalidArgument,
                           QStringLiteral("query parameter '%1' must be a whole number from %2 to %3, got '%4'")
                               .arg(key)
                               .arg(min)
                               .arg(max)
                               .arg(raw.left(64)));
    return std::optional<qint64>(v);
}

} // namespace cd::http
