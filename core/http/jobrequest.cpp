#include "jobrequest.h"

#include <QJsonArray>
#include <QUrl>

namespace cd::http {

using Code = Error::Code;

namespace {
Error bad(const QString &detail)
{
    return Error::make(Code::Unprocessable, detail);
}

std::optional<int> intField(const QJsonObject &o, const QString &key, int min, int max, QString *err)
{
    if (!o.contains(key) || o.value(key).isNull())
        return std::nullopt;
    const QJsonValue v = o.value(key);
    const double d = v.toDouble(-1e18);
    if (!v.isDouble() || d != static_cast<double>(static_cast<long long>(d)) || d < min || d > max) {
        *err = QStringLiteral("'%1' must be a whole number from %2 to %3").arg(key).arg(min).arg(max);
        return std::nullopt;
    }
    return static_cast<int>(d);
}
} // namespace

Result<model::JobSpec> JobRequest::parse(const QJsonObject &body, bool requireKeywords)
{
    model::JobSpec spec;
    const QJsonValue paramsValue = body.value(QStringLiteral("params"));
    if (!paramsValue.isUndefined() && !paramsValue.isNull() && !paramsValue.isObject())
        return bad(QStringLiteral("'params' must be a JSON object"));
    spec.params = paramsValue.toObject();

    const QJsonValue backend = body.value(QStringLiteral("backend"));
    if (!backend.isUndefined() && !backend.isNull()) {
        const auto b = model::backendFromString(backend.toString());
        if (!backend.isString() || !b)
            return bad(QStringLiteral("'backend' must be one of local, runpod, runpod-pod"));
        spec.backend = *b;
    }
    if (body.contains(QStringLiteral("kind"))) {
        const QString kind = body.value(QStringLiteral("kind")).toString();
        if (kind.isEmpty() || kind.size() > 64)
            return bad(QStringLiteral("'kind' must be a non-empty string of at most 64 characters"));
        spec.kind = kind;
    }
    if (body.contains(QStringLiteral("profile"))) {
        if (!body.value(QStringLiteral("profile")).isString())
            return bad(QStringLiteral("'profile' must be a string"));
        spec.params.insert(QStringLiteral("profile"), body.value(QStringLiteral("profile")));
    }

    // keywords: a list of strings, or one string (the seed's RunPod `data`).
    QJsonValue kw = body.value(QStringLiteral("keywords"));
    if (kw.isUndefined())
        kw = spec.params.value(QStringLiteral("keywords"));
    if (kw.isString())
        kw = QJsonArray{kw};
    if (!kw.isUndefined() && !kw.isNull()) {
        if (!kw.isArray())
            return bad(QStringLiteral("'keywords' must be a list of strings"));
        QJsonArray clean;
        for (const QJsonValue &k : kw.toArray()) {
            if (!k.isString())
                return bad(QStringLiteral("'keywords' must be a list of strings"));
            if (!k.toString().trimmed().isEmpty())
                clean.append(k.toString().trimmed());
        }
        spec.params.insert(QStringLiteral("keywords"), clean);
    }
    if (requireKeywords && spec.params.value(QStringLiteral("keywords")).toArray().isEmpty())
        return bad(QStringLiteral("'keywords' is required: a non-empty list of strings"));

    QString err;
    QJsonObject merged = body;
    if (!merged.contains(QStringLiteral("domain_count")) && merged.contains(QStringLiteral("num_domains")))
        merged.insert(QStringLiteral("domain_count"), merged.value(QStringLiteral("num_domains")));
    if (const auto n = intField(merged, QStringLiteral("domain_count"), 1, 100000, &err))
        spec.params.insert(QStringLiteral("domain_count"), *n);
    else if (!err.isEmpty())
        return bad(err);
    else if (requireKeywords && !spec.params.contains(QStringLiteral("domain_count")))
        spec.params.insert(QStringLiteral("domain_count"), 5);

    const QJsonValue urls = body.value(QStringLiteral("start_urls"));
    if (!urls.isUndefined() && !urls.isNull()) {
        if (!urls.isArray())
            return bad(QStringLiteral("'start_urls' must be a list of http(s) URLs"));
        for (const QJsonValue &u : urls.toArray()) {
            const QUrl url(u.toString(), QUrl::StrictMode);
            if (!u.isString() || !url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") ||
                url.host().isEmpty())
                return bad(QStringLiteral("'start_urls' entry '%1' is not an http(s) URL").arg(u.toString()));
        }
        spec.params.insert(QStringLiteral("start_urls"), urls);
    }

    // The seed flow: /api/crawler/start with keywords but no start URLs, and a worker elsewhere that
    // posts the logs. The built-in crawler would have nothing to crawl, so such a job waits for
    // its worker instead (the `external` profile).
    if (requireKeywords && spec.backend == model::Backend::Local && !spec.params.contains(QStringLiteral("profile")) &&
        spec.params.value(QStringLiteral("start_urls")).toArray().isEmpty())
        spec.params.insert(QStringLiteral("profile"), QStringLiteral("external"));

    if (const auto p = intField(body, QStringLiteral("priority"), -1000, 1000, &err))
        spec.priority = *p;
    else if (!err.isEmpty())
        return bad(err);
    if (const auto t = intField(body, QStringLiteral("timeout_s"), 0, 30 * 24 * 3600, &err))
        spec.timeoutS = *t;
    else if (!err.isEmpty())
        return bad(err);
    if (const auto m = intField(body, QStringLiteral("max_attempts"), 1, 20, &err))
        spec.maxAttempts = *m;
    else if (!err.isEmpty())
        return bad(err);
    return spec;
}

} // namespace cd::http
